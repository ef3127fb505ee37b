/**
 * Structured JSON logs, one line per telemetry event, on stderr (stdout stays free for
 * command output). Events are named (`records.rejected`, `sink.retry`, …), never free text,
 * so they can be counted; Azure Functions and kubectl logs both collect stderr.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

export interface Logger {
  event(level: LogLevel, name: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  options: { level?: LogLevel; sink?: LogSink; fields?: Record<string, unknown>; clock?: () => number } = {},
): Logger {
  const min = RANK[options.level ?? 'info'];
  const sink = options.sink ?? { write: (line: string) => process.stderr.write(line + '\n') };
  const base = options.fields ?? {};
  const clock = options.clock ?? Date.now;
  return {
    event(level, name, fields) {
      if (RANK[level] < min) return;
      sink.write(JSON.stringify({ time: new Date(clock()).toISOString(), level, event: name, ...base, ...fields }));
    },
    child(fields) {
      return createLogger({ ...options, fields: { ...base, ...fields } });
    },
  };
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    sink: { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  });
  return Object.assign(logger, { lines });
}

export const silentLogger: Logger = {
  event() {},
  child() {
    return silentLogger;
  },
};
