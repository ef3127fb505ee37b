/**
 * One validated configuration, checked once at start-up (Vector: validate, then build).
 * Layers, lowest first: defaults → file (JSON or YAML) → environment → CLI flags. Every leaf
 * remembers where it came from, so an error names the setting exactly as the user wrote it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { isCidr } from '../common/ipAddress.ts';
import { describeErrors, validator } from '../schemas.ts';
import type { ErrorObject } from 'ajv';
import { DEFAULTS } from './defaults.ts';

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

/** Environment variables and the setting each one sets. */
export const ENVIRONMENT: Record<string, { path: string; type: 'string' | 'integer' | 'boolean' | 'list' }> = {
  CAUSEWAY_CLUSTER: { path: 'cluster', type: 'string' },
  CAUSEWAY_DATA_DIR: { path: 'dataDir', type: 'string' },
  CAUSEWAY_LOG_LEVEL: { path: 'logLevel', type: 'string' },
  CAUSEWAY_DEMO: { path: 'demo', type: 'boolean' },
  CAUSEWAY_HOST: { path: 'serve.host', type: 'string' },
  CAUSEWAY_PORT: { path: 'serve.port', type: 'integer' },
  CAUSEWAY_MAX_BODY_BYTES: { path: 'serve.maxBodyBytes', type: 'integer' },
  CAUSEWAY_MAX_RECORD_BYTES: { path: 'limits.maxRecordBytes', type: 'integer' },
  CAUSEWAY_MAX_MESSAGE_BYTES: { path: 'limits.maxMessageBytes', type: 'integer' },
  CAUSEWAY_MAX_RECORDS_PER_BODY: { path: 'limits.maxRecordsPerBody', type: 'integer' },
  CAUSEWAY_MAX_RECORDS_PER_SECOND: { path: 'limits.maxRecordsPerSecond', type: 'integer' },
  CAUSEWAY_MAX_MEMORY_MB: { path: 'limits.maxMemoryMB', type: 'integer' },
  CAUSEWAY_EARLIEST_EVENT_TIME: { path: 'limits.earliestEventTime', type: 'string' },
  CAUSEWAY_MAX_FUTURE_MINUTES: { path: 'limits.maxFutureMinutes', type: 'integer' },
  CAUSEWAY_REDACTION_EXCERPTS: { path: 'redaction.excerpts', type: 'boolean' },
  CAUSEWAY_ALLOWED_LATENESS_MINUTES: { path: 'correlation.allowedLatenessMinutes', type: 'integer' },
  CAUSEWAY_STORY_IDLE_MINUTES: { path: 'correlation.storyIdleMinutes', type: 'integer' },
  CAUSEWAY_WORKLOAD_PARTITIONS: { path: 'correlation.workloadPartitions', type: 'integer' },
  CAUSEWAY_STORY_PARTITIONS: { path: 'correlation.storyPartitions', type: 'integer' },
  CAUSEWAY_INGEST_WORKERS: { path: 'pipeline.ingestWorkers', type: 'integer' },
  CAUSEWAY_SIGNAL_PACKS: { path: 'signals.packs', type: 'list' },
  CAUSEWAY_LEARNING_PERIOD_MINUTES: { path: 'signals.learningPeriodMinutes', type: 'integer' },
  CAUSEWAY_PROFILES_IMPORT: { path: 'profiles.import', type: 'list' },
  CAUSEWAY_LOGS_INGESTION_ENDPOINT: { path: 'sink.logAnalytics.endpoint', type: 'string' },
  CAUSEWAY_DCR_IMMUTABLE_ID: { path: 'sink.logAnalytics.dcrImmutableId', type: 'string' },
  AZURE_CLIENT_ID: { path: 'sink.logAnalytics.managedIdentityClientId', type: 'string' },
  CAUSEWAY_FEEDS_LEARN_MINUTES: { path: 'feeds.learnMinutes', type: 'integer' },
  CAUSEWAY_FUNCTIONS_SNAPSHOT_SECONDS: { path: 'functions.snapshotSeconds', type: 'integer' },
  CAUSEWAY_FUNCTIONS_REPLAY_CONSUMER_GROUP: { path: 'functions.replayConsumerGroup', type: 'string' },
  CAUSEWAY_FUNCTIONS_MAX_REPLAY_EVENTS: { path: 'functions.maxReplayEvents', type: 'integer' },
  CAUSEWAY_KAFKA_BROKERS: { path: 'kafka.brokers', type: 'list' },
  CAUSEWAY_KAFKA_TLS: { path: 'kafka.tls', type: 'boolean' },
  CAUSEWAY_KAFKA_GROUP_PREFIX: { path: 'kafka.groupPrefix', type: 'string' },
  CAUSEWAY_KAFKA_SASL_MECHANISM: { path: 'kafka.sasl.mechanism', type: 'string' },
  CAUSEWAY_KAFKA_SASL_USERNAME: { path: 'kafka.sasl.username', type: 'string' },
  CAUSEWAY_KAFKA_SASL_PASSWORD_ENV: { path: 'kafka.sasl.passwordEnv', type: 'string' },
  CAUSEWAY_KAFKA_EVENTHUBS_NAMESPACE: { path: 'kafka.sasl.eventHubsNamespace', type: 'string' },
  CAUSEWAY_KAFKA_CREATE_TOPICS: { path: 'kafka.createTopics', type: 'boolean' },
  CAUSEWAY_KAFKA_TICK_SECONDS: { path: 'kafka.tickSeconds', type: 'integer' },
  CAUSEWAY_STATE_ACCOUNT: { path: 'kafka.stateAccount', type: 'string' },
  CAUSEWAY_STATE_DIR: { path: 'kafka.stateDir', type: 'string' },
  CAUSEWAY_KAFKA_SESSION_TIMEOUT_SECONDS: { path: 'kafka.sessionTimeoutSeconds', type: 'integer' },
  CAUSEWAY_KAFKA_SNAPSHOT_SECONDS: { path: 'kafka.snapshotSeconds', type: 'integer' },
};

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

function schemaProblems(config: Record<string, unknown>, origins: Map<string, string>): ConfigProblem[] {
  const validate = validator('config', 'causeway.config.schema.json');
  if (validate(config)) return [];
  const errors = validate.errors ?? [];
  const cloudMaps = errors.filter((e) => CLOUD_MAP.test(e.instancePath));
  const problems = cloudMapProblems(cloudMaps, origins);
  return problems.concat(
    errors
      .filter((e) => !cloudMaps.includes(e))
      .map((e) => {
        const path = e.instancePath.slice(1).replaceAll('/', '.');
        const extra =
          e.keyword === 'additionalProperties'
            ? String((e.params as { additionalProperty: string }).additionalProperty)
            : '';
        const fullPath = extra ? (path ? `${path}.${extra}` : extra) : path;
        const setting = originName(origins, fullPath);
        const fix =
          fullPath === 'pipeline.ingestWorkers'
            ? 'use "auto" (one worker per core but one) or a whole number from 0 (everything on one thread) to 64'
            : e.keyword === 'additionalProperties'
              ? `remove "${extra}" or correct its spelling (see schemas/config/causeway.config.schema.json for the known settings)`
              : e.keyword === 'enum'
                ? `use one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
                : e.keyword === 'pattern' && fullPath.endsWith('dcrImmutableId')
                  ? 'use the DCR immutableId (dcr-<32 hex>, shown as "Immutable Id" on the DCR overview), not its resource id'
                  : e.keyword === 'pattern' && fullPath.endsWith('endpoint')
                    ? 'use the https:// logs ingestion endpoint of the DCR (properties.endpoints.logsIngestion) or its DCE'
                    : e.keyword === 'type'
                      ? `use ${(e.params as { type: string }).type === 'integer' ? 'a whole number' : `a ${String((e.params as { type: string }).type)}`}`
                      : e.keyword === 'minimum' || e.keyword === 'maximum'
                        ? `use a value ${e.keyword === 'minimum' ? 'of at least' : 'of at most'} ${String((e.params as { limit: number }).limit)}`
                        : `use a value that matches schemas/config/causeway.config.schema.json (${e.keyword})`;
        return {
          setting,
          problem: `${describeErrors([e]).replace(/^\S+\s/, '')} (got ${JSON.stringify(getPath(config, fullPath))})`,
          fix,
        };
      }),
  );
}

/** The cloud settings keyed by `<namespace>/<name>`: JSON pointers there hold a `/` in the key. */
const CLOUD_MAP = /^\/cloud\/(workloadIdentities|serviceAccounts)(\/|$)/;

/** One problem per bad key or value of cloud.workloadIdentities / cloud.serviceAccounts, named as written. */
function cloudMapProblems(errors: readonly ErrorObject[], origins: Map<string, string>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const e of errors) {
    const [, , map, ...rest] = e.instancePath.split('/');
    // Where the map came from (a file names each of its entries; a flag or variable the whole map).
    const base = `cloud.${map}`;
    const origin = [...origins].find(([p, o]) => (p === base || p.startsWith(`${base}.`)) && o !== 'default')?.[1];
    const setting = !origin
      ? base
      : origin.includes(': ')
        ? `${origin.slice(0, origin.indexOf(': '))}: ${base}`
        : origin;
    const key = e.propertyName ?? (e.params as { propertyName?: string }).propertyName;
    if (e.keyword === 'propertyNames') continue; // its nested pattern error says it
    if (key !== undefined || rest.length === 0)
      out.push({
        setting,
        problem: `the key ${JSON.stringify(key ?? '')} is not <namespace>/<name>`,
        fix: `name each entry by the namespace and the ${map === 'workloadIdentities' ? 'service account (or workload)' : 'workload'}, in lower case, e.g. "agents/file-tools"`,
      });
    else
      out.push({
        setting: `${setting}["${rest.join('/').replaceAll('~1', '/').replaceAll('~0', '~')}"]`,
        problem: map === 'workloadIdentities' ? 'is not an Entra client id' : 'is not a service-account name',
        fix:
          map === 'workloadIdentities'
            ? 'use the application (client) id, a GUID like 5d2f7a10-3c4b-4e8f-9a61-7b0c2d4e6f81 (the azure.workload.identity/client-id annotation of the service account)'
            : 'use the name of the service account (lower-case letters, digits, - and .)',
      });
  }
  return out;
}

function crossFieldProblems(config: CausewayConfig, origins: Map<string, string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const la = config.sink.logAnalytics;
  if (config.sink.type === 'logAnalytics') {
    if (!la.endpoint)
      problems.push({
        setting: originName(origins, 'sink.logAnalytics.endpoint'),
        problem: 'the Log Analytics sink needs the logs ingestion endpoint',
        fix: 'set --logs-ingestion-endpoint or CAUSEWAY_LOGS_INGESTION_ENDPOINT to the DCR logsIngestion endpoint',
      });
    if (!la.dcrImmutableId)
      problems.push({
        setting: originName(origins, 'sink.logAnalytics.dcrImmutableId'),
        problem: 'the Log Analytics sink needs the DCR immutable id',
        fix: 'set --dcr or CAUSEWAY_DCR_IMMUTABLE_ID to the DCR immutableId (dcr-<32 hex>)',
      });
  }
  if (config.kafka.sasl?.mechanism === 'oauthbearer-entra' && !config.kafka.sasl.eventHubsNamespace) {
    problems.push({
      setting: originName(origins, 'kafka.sasl.eventHubsNamespace'),
      problem: 'OAUTHBEARER with Entra needs the Event Hubs namespace to request a token for',
      fix: 'set kafka.sasl.eventHubsNamespace to <namespace>.servicebus.windows.net',
    });
  }
  const eventHubs =
    config.kafka.sasl?.eventHubsNamespace !== undefined ||
    config.kafka.sasl?.username === '$ConnectionString' ||
    (config.kafka.brokers ?? []).some((b) => b.includes('.servicebus.'));
  if (eventHubs && !config.kafka.tls) {
    problems.push({
      setting: originName(origins, 'kafka.tls'),
      problem: "Event Hubs' Kafka endpoint only speaks TLS (port 9093)",
      fix: 'set kafka.tls true (CAUSEWAY_KAFKA_TLS=true) and use <namespace>.servicebus.windows.net:9093',
    });
  }
  if (
    config.kafka.sasl?.eventHubsNamespace !== undefined &&
    !/^[a-z0-9][a-z0-9-]{4,48}\.servicebus\.(windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/i.test(
      config.kafka.sasl.eventHubsNamespace,
    )
  ) {
    problems.push({
      setting: originName(origins, 'kafka.sasl.eventHubsNamespace'),
      problem: `is not an Event Hubs namespace host name (got ${JSON.stringify(config.kafka.sasl.eventHubsNamespace)})`,
      fix: 'use <namespace>.servicebus.windows.net, without scheme or port',
    });
  }
  if (config.kafka.sasl && config.kafka.sasl.mechanism !== 'oauthbearer-entra' && !config.kafka.sasl.passwordEnv) {
    problems.push({
      setting: originName(origins, 'kafka.sasl.passwordEnv'),
      problem: `SASL ${config.kafka.sasl.mechanism} needs a password`,
      fix: 'set kafka.sasl.passwordEnv to the NAME of the environment variable that holds it (the secret itself never goes in the file)',
    });
  }
  config.cloud.egressAddresses.forEach((cidr, i) => {
    if (isCidr(cidr)) return;
    problems.push({
      setting: `${originName(origins, 'cloud.egressAddresses')}[${i}]`,
      problem: 'is not an IP address or CIDR block',
      fix: 'use an IPv4 or IPv6 address (20.50.1.7) or a CIDR block (20.50.1.0/28, 10.224.0.0/16)',
    });
  });
  return problems;
}

/** The name a person gave a setting (`--data-dir`, `CAUSEWAY_PORT`, `file.yaml: serve.port`), for messages. */
export function settingName(loaded: LoadedConfig, path: string): string {
  return originName(loaded.origins, path);
}

/** The user-facing name of a setting: the env var or flag that set it, else `file: path`, else the path. */
function originName(origins: Map<string, string>, path: string): string {
  const origin = origins.get(path);
  if (!origin || origin === 'default') {
    const env = Object.entries(ENVIRONMENT).find(([, s]) => s.path === path)?.[0];
    return env ? `${path} (${env})` : path;
  }
  return origin;
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

function getPath(target: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined),
      target,
    );
}
