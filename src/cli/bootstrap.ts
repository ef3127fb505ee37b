/**
 * Start-up shared by every command: load and validate the configuration, load signal packs,
 * say which defaults were used, build the sink. Everything that can be wrong is found here.
 */
import { loadBaselines } from '../profiles/baselines.ts';
import type { Profile } from '../profiles/profile.ts';
import { resolve } from 'node:path';
import { directoryProblem } from '../common/dirs.ts';
import { loadConfig, settingName, type FlagSettings, type LoadedConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import { SignalEngine } from '../signals/engine.ts';
import { LocalTableSink } from '../sinks/localTables.ts';
import type { Sink } from '../sinks/sink.ts';
import { createLogger, type Logger } from '../telemetry/log.ts';
import { UsageError } from './flags.ts';

export interface Bootstrapped {
  loaded: LoadedConfig;
  signals: SignalEngine;
  logger: Logger;
  sink: Sink;
  tablesDir: string;
  /** Imported Kubescape profiles (profiles.import). */
  baselines: Profile[];
}

export async function bootstrap(options: {
  configFile?: string;
  flags: FlagSettings;
  env: Record<string, string | undefined>;
  tablesDir?: string;
  /** When set, a local sink needs an explicit tablesDir: this is the usage message without one. */
  requireTablesDir?: string;
}): Promise<Bootstrapped> {
  const loaded = loadConfig({ file: options.configFile, env: options.env, flags: options.flags });
  const { config } = loaded;
  if (options.requireTablesDir && config.sink.type !== 'logAnalytics' && options.tablesDir === undefined)
    throw new UsageError(options.requireTablesDir);
  const logger = createLogger({ level: config.logLevel });
  logger.event('info', 'config.loaded', {
    cluster: config.cluster,
    sink: config.sink.type,
    defaultsUsed: loaded.defaultsUsed.filter((p) => !p.startsWith('kafka.') && !p.startsWith('sink.logAnalytics.')),
  });
  const signals = SignalEngine.load(config.signals.packs);
  logger.event('info', 'signals.loaded', { rules: signals.rules.length });
  const baselines = loadBaselines(config);
  if (baselines.length)
    logger.event('info', 'profiles.imported', {
      profiles: baselines.map((p) => `${p.identity.namespace}/${p.identity.workloadName}:${p.identity.container}`),
    });
  const tablesDir = resolve(options.tablesDir ?? resolve(config.dataDir, 'tables'));
  if (config.sink.type !== 'logAnalytics')
    usableDirectory(tablesDir, options.tablesDir !== undefined ? '--out' : settingName(loaded, 'dataDir'));
  const sink = await createSink(loaded, tablesDir, logger);
  return { loaded, signals, logger, sink, tablesDir, baselines };
}

async function createSink(loaded: LoadedConfig, tablesDir: string, logger: Logger): Promise<Sink> {
  if (loaded.config.sink.type === 'logAnalytics') {
    const { createLogAnalyticsSink } = await import('../sinks/logAnalytics.ts');
    return createLogAnalyticsSink(loaded.config, logger);
  }
  return new LocalTableSink(tablesDir, (torn) =>
    logger.event('warn', 'sink.torn-tail-cut', { table: torn.table, file: torn.file, bytes: torn.bytes }),
  );
}

/**
 * A directory the process will write to, made if missing: a file in the way, a read-only or
 * unreachable place (`/proc/x`) is a configuration error naming the setting and the fix.
 */
export function usableDirectory(dir: string, setting: string): void {
  const problem = directoryProblem(dir);
  if (problem)
    throw new ConfigError([
      {
        setting,
        problem,
        fix: 'point it at a directory this user can create and write to (it is made if missing)',
      },
    ]);
}
