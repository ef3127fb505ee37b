/**
 * Command-line flags: parsing (node:util parseArgs, strict), the options every command takes, and
 * flags → configuration settings, remembering the flag's name for error messages.
 */
import { parseArgs } from 'node:util';
import type { FlagSettings } from '../config/config.ts';

/** A usage mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export const COMMON_OPTIONS = {
  config: { type: 'string' },
  cluster: { type: 'string' },
  'logs-ingestion-endpoint': { type: 'string' },
  dcr: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

export const COMMON_HELP = `Common options:
  --config <file>                 JSON or YAML configuration (or CAUSEWAY_CONFIG)
  --cluster <name>                Cluster for events whose source names none (CAUSEWAY_CLUSTER)
  --logs-ingestion-endpoint <url> Write to Log Analytics (CAUSEWAY_LOGS_INGESTION_ENDPOINT)
  --dcr <immutableId>             DCR immutable id, dcr-<32 hex> (CAUSEWAY_DCR_IMMUTABLE_ID)
  --log-level <level>             debug, info, warn, error
  -h, --help                      This help`;

export function parse(args: string[], extra: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...extra },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    if (e instanceof TypeError && String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))
      throw new UsageError(e.message);
    throw e;
  }
}

/** CLI flags → config settings, remembering the flag name for error messages. */
export function flagsOf(values: Parsed['values']): FlagSettings {
  const flags: FlagSettings = {};
  const set = (path: string, flag: string, value: unknown) => {
    if (value !== undefined) flags[path] = { value, flag: `--${flag}` };
  };
  const port = values.port;
  set('cluster', 'cluster', values.cluster);
  set('logLevel', 'log-level', values['log-level']);
  set('serve.port', 'port', typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port);
  set('serve.host', 'host', values.host);
  set('dataDir', 'data-dir', values['data-dir']);
  const brokers = values.brokers;
  if (typeof brokers === 'string')
    set(
      'kafka.brokers',
      'brokers',
      brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    );
  if (values['no-demo']) set('demo', 'no-demo', false);
  set('sink.logAnalytics.endpoint', 'logs-ingestion-endpoint', values['logs-ingestion-endpoint']);
  set('sink.logAnalytics.dcrImmutableId', 'dcr', values.dcr);
  if (values['logs-ingestion-endpoint'] !== undefined || values.dcr !== undefined)
    set('sink.type', 'logs-ingestion-endpoint', 'logAnalytics');
  return flags;
}

/** The value of a string flag (the last one when repeated). */
export function stringFlag(values: Parsed['values'], name: string): string | undefined {
  const v = values[name];
  return Array.isArray(v) ? v.at(-1) : typeof v === 'string' ? v : undefined;
}
