/**
 * One validated configuration, checked once at start-up (Vector: validate, then build).
 * Layers, lowest first: defaults → file (JSON or YAML) → environment → CLI flags. Every leaf
 * remembers where it came from, so an error names the setting exactly as the user wrote it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { DEFAULTS } from './defaults.ts';
import { crossFieldProblems, originName, schemaProblems } from './configProblems.ts';
import { ENVIRONMENT } from './environment.ts';

export { ENVIRONMENT } from './environment.ts';

export interface CausewayConfig {
  cluster: string;
  dataDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  demo: boolean;
  serve: { host: string; port: number; maxBodyBytes: number };
  /**
   * Per-record limits (one event, alert, log line or span: envelopes of many are split first) and
   * the limit on a whole message body after gzip is inflated.
   */
  limits: {
    maxRecordBytes: number;
    maxDepth: number;
    maxMessageBytes: number;
    /** Records read from one body; the rest are counted and rejected as too-many-records. */
    maxRecordsPerBody: number;
    /** Records per second each local HTTP endpoint may send (429 with Retry-After past it). */
    maxRecordsPerSecond: number;
    /** Resident memory the local host allows itself: new bodies are answered 503 above it. */
    maxMemoryMB: number;
    /** The oldest event time accepted (RFC 3339). */
    earliestEventTime: string;
    /** How far ahead of the clock an event time may be. */
    maxFutureMinutes: number;
  };
  redaction: { excerpts: boolean; excerptLength: number };
  correlation: {
    allowedLatenessMinutes: number;
    storyIdleMinutes: number;
    workloadPartitions: number;
    storyPartitions: number;
    maxWorkloadsPerPartition: number;
    maxProcessesPerWorkload: number;
    maxBufferedEventsPerContainer: number;
    maxEvidencePerEpisode: number;
    maxEpisodesPerPartition: number;
    maxStoriesPerPartition: number;
    parkingTimeoutSeconds: number;
    maxParked: number;
  };
  /** How the local and Kafka hosts use the cores: stage ① in worker threads (`auto`: cores - 1; 0: one thread). */
  pipeline: { ingestWorkers: number | 'auto' };
  signals: { packs: string[]; learningPeriodMinutes: number };
  profiles: {
    /** Kubescape ApplicationProfile / NetworkNeighborhood files used as baselines instead of learning. */
    import: string[];
    /** Profile class per `namespace/name` pattern: how strict the workload's draft policies are. */
    classes: Record<string, 'autonomous-agent' | 'chat-agent' | 'mcp-server' | 'service'>;
  };
  cloud: {
    /** Sensor cluster name per AKS cluster (resource name or id, any case), for kube-audit records. */
    clusterNames: Record<string, string>;
    /**
     * The service account of a workload (`<namespace>/<workload>` → service-account name), where the
     * sensors do not name it: a token read in the workload then joins API requests made as that account
     * even when kube-audit carries no bound-pod name (story/credentialLinks.ts).
     */
    serviceAccounts: Record<string, string>;
    /** Entra client id of a workload identity, by `<namespace>/<serviceaccount>` (or `<namespace>/<workload>`). */
    workloadIdentities: Record<string, string>;
    /**
     * The cluster's own outbound addresses (CIDRs or single addresses: the outbound load balancer or NAT
     * gateway IPs, the node subnet): an identity acting from one of them is the cluster at work.
     */
    egressAddresses: string[];
  };
  /** Feed watch (pipeline/feedTracker.ts): which feeds each scope must keep sending, and how often. */
  feeds: {
    /** Feeds per scope (cluster, `tenant:<id>`, `keyvault:<vault>`, `*`); empty: learned in each scope's first learnMinutes. */
    expected: Record<string, string[]>;
    learnMinutes: number;
    minIntervalMinutes: number;
    /** Interval per feed, overriding the learned one. */
    intervalMinutes: Record<string, number>;
  };
  sink: {
    type: 'local' | 'logAnalytics';
    logAnalytics: {
      endpoint?: string;
      dcrImmutableId?: string;
      managedIdentityClientId?: string;
      flushIntervalMs: number;
      maxBatchBytes: number;
      maxAttempts: number;
    };
  };
  functions: {
    /**
     * Snapshot a partition at most this often (0 = after every batch). A new owner reads the events
     * between the last snapshot and the batch it is given from the hub again (replayConsumerGroup).
     */
    snapshotSeconds: number;
    /** Consumer group the gap between a snapshot and a batch is read with (not the trigger's: it holds an epoch). */
    replayConsumerGroup: string;
    /** A gap longer than this is not read back (counted and logged): the partition goes on from what it has. */
    maxReplayEvents: number;
  };
  kafka: {
    brokers?: string[];
    clientId: string;
    groupPrefix: string;
    tls: boolean;
    sasl?: {
      mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer-entra';
      username?: string;
      passwordEnv?: string;
      eventHubsNamespace?: string;
    };
    topics: {
      sensors: string;
      defender: string;
      telemetry: string;
      cloudAudit: string;
      workloadEvents: string;
      episodes: string;
    };
    /** Create missing topics (Apache Kafka); on Event Hubs the hubs come from Bicep. */
    createTopics: boolean;
    /** How often the story stage's process broadcasts a tick that closes idle stories; 0 = never. */
    tickSeconds: number;
    /** Storage account for partition snapshots (Blob, managed identity); else files in stateDir. */
    stateAccount?: string;
    /** Directory for partition snapshots shared by every process of the groups (default dataDir/state). */
    stateDir?: string;
    /** A consumer not heard from for this long is out of its group and its partitions move. */
    sessionTimeoutSeconds: number;
    /** Under a backlog, snapshot (and commit) a partition at most this often; 0 = every batch. */
    snapshotSeconds: number;
  };
}

/** Settings given on the command line, keyed by config path, with the flag name for messages. */
export type FlagSettings = Record<string, { value: unknown; flag: string }>;

export interface LoadedConfig {
  config: CausewayConfig;
  /** Where each leaf setting came from: `default`, a file path, an env var or a flag. */
  origins: Map<string, string>;
  /** Settings left at their built-in default. */
  defaultsUsed: string[];
}

/**
 * Loads and validates the configuration. Throws ConfigError listing every problem at once.
 * `env` and `flags` are injected so tests never touch the real environment.
 */
export function loadConfig(
  options: { file?: string; env?: Record<string, string | undefined>; flags?: FlagSettings } = {},
): LoadedConfig {
  const env = options.env ?? {};
  const origins = new Map<string, string>();
  const config = structuredClone(DEFAULTS) as unknown as Record<string, unknown>;
  for (const path of leafPaths(config)) origins.set(path, 'default');
  const problems: ConfigProblem[] = [];

  const file = options.file ?? env.CAUSEWAY_CONFIG;
  if (file) {
    const fromFile = readConfigFile(file, problems);
    if (fromFile) mergeInto(config, fromFile, '', (path) => origins.set(path, `${file}: ${path}`));
  }

  for (const [name, spec] of Object.entries(ENVIRONMENT)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(config, spec.path, coerce(raw, spec.type));
    origins.set(spec.path, name);
  }

  for (const [path, { value, flag }] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue;
    setPath(config, path, value);
    origins.set(path, flag);
  }

  // Naming a Log Analytics endpoint or DCR anywhere selects the Log Analytics sink.
  const la = (config.sink as { logAnalytics?: { endpoint?: unknown; dcrImmutableId?: unknown } }).logAnalytics;
  if ((la?.endpoint !== undefined || la?.dcrImmutableId !== undefined) && origins.get('sink.type') === 'default') {
    setPath(config, 'sink.type', 'logAnalytics');
    origins.set(
      'sink.type',
      origins.get('sink.logAnalytics.endpoint') ?? origins.get('sink.logAnalytics.dcrImmutableId') ?? 'default',
    );
  }
  if (!problems.length) problems.push(...schemaProblems(config, origins));
  if (!problems.length) problems.push(...crossFieldProblems(config as unknown as CausewayConfig, origins));
  if (problems.length) throw new ConfigError(problems);

  const defaultsUsed = [...origins].filter(([, o]) => o === 'default').map(([p]) => p);
  return { config: config as unknown as CausewayConfig, origins, defaultsUsed };
}

function readConfigFile(file: string, problems: ConfigProblem[]): Record<string, unknown> | undefined {
  if (!existsSync(file)) {
    problems.push({
      setting: file,
      problem: 'the configuration file does not exist',
      fix: 'pass the path of an existing JSON or YAML file with --config or CAUSEWAY_CONFIG',
    });
    return undefined;
  }
  try {
    const text = readFileSync(file, 'utf8');
    const value: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({
        setting: file,
        problem: 'the file does not hold an object at the top level',
        fix: 'write the settings as one JSON or YAML object, e.g. {"cluster": "aks-prod"}',
      });
      return undefined;
    }
    return value as Record<string, unknown>;
  } catch (e) {
    problems.push({
      setting: file,
      problem: `the file is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'} (${(e as Error).message.split('\n')[0]})`,
      fix: 'correct the syntax at the position given',
    });
    return undefined;
  }
}

/** The name a person gave a setting (`--data-dir`, `CAUSEWAY_PORT`, `file.yaml: serve.port`), for messages. */
export function settingName(loaded: LoadedConfig, path: string): string {
  return originName(loaded.origins, path);
}

function coerce(raw: string, type: 'string' | 'integer' | 'boolean' | 'list'): unknown {
  switch (type) {
    case 'integer':
      return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    case 'boolean':
      return /^(true|1|yes|on)$/i.test(raw) ? true : /^(false|0|no|off)$/i.test(raw) ? false : raw;
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return raw;
  }
}

function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return v && typeof v === 'object' && !Array.isArray(v) ? leafPaths(v as Record<string, unknown>, path) : [path];
  });
}

function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  prefix: string,
  onLeaf: (path: string) => void,
): void {
  for (const [k, v] of Object.entries(source)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const existing = target[k];
    if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      existing &&
      typeof existing === 'object' &&
      !Array.isArray(existing)
    ) {
      mergeInto(existing as Record<string, unknown>, v as Record<string, unknown>, path, onLeaf);
    } else {
      target[k] = v;
      onLeaf(path);
    }
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!node[part] || typeof node[part] !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}
