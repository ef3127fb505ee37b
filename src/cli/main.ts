/**
 * `causeway` — the command line. Commands: replay, serve, run, flush, report, profile, policy, rules.
 * Exit code 0 unless something fatal happened (a bad record is not fatal; a bad config is).
 */
import { parseArgs } from 'node:util';
import { isConfigError } from '../errors.ts';
import type { FlagSettings } from '../config/config.ts';

const USAGE = `Usage: causeway <command> [options]

Commands:
  replay <files...> --out <dir>   Run the whole pipeline over files (JSON, JSON Lines, .gz; any
                                  supported format, detected per record) and write the tables to <dir>.
  serve                           Run the local pipeline as a service on 127.0.0.1 (default port 8787).
  run [--stages ingest,workload,story]
                                  Run the stages as Kafka consumer groups (Apache Kafka or the Event
                                  Hubs Kafka endpoint); more processes scale out and fail over.
  flush                           Put an end-of-input marker on every raw Kafka topic partition:
                                  parked events are released and held story updates written.
  report <dir> --html <file>      One self-contained HTML file of the stories in a tables directory.
  profile export --format networkpolicy|ciliumnetworkpolicy|seccomp --from <file|dir>...
         [--workload [ns/]name] [--container c] [--out file]
                                  Draft (audit) policies from Kubescape profiles or learned ones:
                                  one per workload container, after a summary (all of them unless
                                  --workload / --container pick some).
  policy check <draft.yaml> --against <tables dir | replay files>...
                                  Every observed flow the drafts would deny, with its evidence;
                                  exit 0 when nothing benign would be.
  policy graduate <draft.yaml> --against <...>... [--min-window 7d] [--out file]
                                  The enforcing version, only when the check is clean over at
                                  least --min-window of observations.
  rules check [files...]          Validate signal rule packs.

Common options:
  --config <file>                 JSON or YAML configuration (or CAUSEWAY_CONFIG)
  --cluster <name>                Cluster for events whose source names none (CAUSEWAY_CLUSTER)
  --logs-ingestion-endpoint <url> Write to Log Analytics (CAUSEWAY_LOGS_INGESTION_ENDPOINT)
  --dcr <immutableId>             DCR immutable id, dcr-<32 hex> (CAUSEWAY_DCR_IMMUTABLE_ID)
  --log-level <level>             debug, info, warn, error
serve options:
  --port <n> --host <addr> --data-dir <dir> --no-demo
run / flush options (serve too: with brokers set it also consumes the raw topics):
  --brokers <host:port,...>       Kafka bootstrap brokers (CAUSEWAY_KAFKA_BROKERS)
  --port <n> --host <addr>        Where run answers GET /healthz
`;

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'replay': {
        const { replay } = await import('./replay.ts');
        const { values, positionals } = parse(rest, { out: { type: 'string' } });
        if (!values.out) return usageError('replay needs --out <dir> (where the table files go)');
        if (!positionals.length) return usageError('replay needs at least one input file');
        return await replay({
          files: positionals,
          out: String(values.out),
          configFile: values.config as string | undefined,
          flags: flagsOf(values),
          env,
        });
      }
      case 'serve': {
        const { serve } = await import('./serve.ts');
        const { values } = parse(rest, {
          port: { type: 'string' },
          host: { type: 'string' },
          'data-dir': { type: 'string' },
          'no-demo': { type: 'boolean' },
          brokers: { type: 'string' },
        });
        return await serve({ configFile: values.config as string | undefined, flags: flagsOf(values), env });
      }
      case 'run': {
        const { run, parseStages } = await import('./run.ts');
        const { values } = parse(rest, {
          stages: { type: 'string' },
          brokers: { type: 'string' },
          port: { type: 'string' },
          host: { type: 'string' },
          'data-dir': { type: 'string' },
        });
        return await run({
          configFile: values.config as string | undefined,
          flags: flagsOf(values),
          env,
          stages: parseStages(values.stages as string | undefined),
        });
      }
      case 'flush': {
        const { flush } = await import('./run.ts');
        const { values } = parse(rest, { brokers: { type: 'string' } });
        return await flush({ configFile: values.config as string | undefined, flags: flagsOf(values), env });
      }
      case 'report': {
        const { report } = await import('./report.ts');
        const { values, positionals } = parse(rest, { html: { type: 'string' } });
        if (positionals.length !== 1)
          return usageError('report needs one tables directory (the --out of replay, or <data-dir>/tables)');
        if (!values.html) return usageError('report needs --html <file>');
        return await report(positionals[0]!, String(values.html));
      }
      case 'profile': {
        const { profileExport } = await import('./profile.ts');
        if (rest[0] !== 'export') return usageError('profile takes one subcommand: export');
        const { values } = parse(rest.slice(1), {
          format: { type: 'string' },
          from: { type: 'string', multiple: true },
          workload: { type: 'string' },
          container: { type: 'string' },
          out: { type: 'string' },
        });
        const { loadConfig } = await import('../config/config.ts');
        const { config } = loadConfig({ file: values.config as string | undefined, env, flags: flagsOf(values) });
        return profileExport({
          format: String(values.format ?? ''),
          from: (values.from as unknown as string[] | undefined) ?? [],
          workload: values.workload as string | undefined,
          container: values.container as string | undefined,
          out: values.out as string | undefined,
          cluster: config.cluster,
          classes: config.profiles.classes,
        });
      }
      case 'policy': {
        const sub = rest[0];
        if (sub !== 'check' && sub !== 'graduate') return usageError('policy takes a subcommand: check or graduate');
        const { values, positionals } = parse(rest.slice(1), {
          against: { type: 'string', multiple: true },
          'min-window': { type: 'string' },
          out: { type: 'string' },
        });
        if (!positionals.length) return usageError(`policy ${sub} needs the draft file (what profile export wrote)`);
        const { policyCheck, policyGraduate } = await import('./policy.ts');
        const common = {
          draft: positionals[0]!,
          // `--against a b c`: the files after the first --against come as positionals.
          against: [...((values.against as unknown as string[] | undefined) ?? []), ...positionals.slice(1)],
          configFile: values.config as string | undefined,
          flags: flagsOf(values),
          env,
        };
        if (sub === 'check') return await policyCheck(common);
        const minWindow = values['min-window'] as string | undefined;
        return await policyGraduate({ ...common, minWindow, out: values.out as string | undefined });
      }
      case 'rules': {
        const { rulesCheck } = await import('./rulesCheck.ts');
        return rulesCheck(rest.slice(rest[0] === 'check' ? 1 : 0));
      }
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        return usageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (isConfigError(e)) {
      process.stderr.write(`causeway: ${e.message}\n`);
      return 2;
    }
    if (e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS'))
      return usageError(e.message);
    throw e;
  }
}

function usageError(message: string): number {
  process.stderr.write(`causeway: ${message}\n\n${USAGE}`);
  return 2;
}

const COMMON = {
  config: { type: 'string' },
  cluster: { type: 'string' },
  'logs-ingestion-endpoint': { type: 'string' },
  dcr: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

function parse(
  args: string[],
  extra: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args,
    options: { ...COMMON, ...extra },
    allowPositionals: true,
    strict: true,
  });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

/** CLI flags → config settings, remembering the flag name for error messages. */
function flagsOf(values: Record<string, unknown>): FlagSettings {
  const flags: FlagSettings = {};
  const set = (path: string, flag: string, value: unknown) => {
    if (value !== undefined) flags[path] = { value, flag: `--${flag}` };
  };
  set('cluster', 'cluster', values.cluster);
  set('logLevel', 'log-level', values['log-level']);
  set(
    'serve.port',
    'port',
    values.port !== undefined ? (/^\d+$/.test(String(values.port)) ? Number(values.port) : values.port) : undefined,
  );
  set('serve.host', 'host', values.host);
  set('dataDir', 'data-dir', values['data-dir']);
  set(
    'kafka.brokers',
    'brokers',
    typeof values.brokers === 'string'
      ? values.brokers
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean)
      : undefined,
  );
  if (values['no-demo']) set('demo', 'no-demo', false);
  set('sink.logAnalytics.endpoint', 'logs-ingestion-endpoint', values['logs-ingestion-endpoint']);
  set('sink.logAnalytics.dcrImmutableId', 'dcr', values.dcr);
  if (values['logs-ingestion-endpoint'] !== undefined || values.dcr !== undefined)
    set('sink.type', 'logs-ingestion-endpoint', 'logAnalytics');
  return flags;
}
