/**
 * `causeway serve` as a child process (the published bin over dist/), for tests that need the
 * real process: signals, memory, start-up and restart behaviour, everything it prints.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export const BIN = new URL('../../bin/causeway.mjs', import.meta.url).pathname;

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  url(path: string): string;
}

/** Starts `causeway serve --port 0 --no-demo <args>` and resolves once it listens. */
export async function startServe(
  args: string[],
  env: Record<string, string> = {},
  options: { demo?: boolean } = {},
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', ...(options.demo ? [] : ['--no-demo']), ...args],
    { env: { ...process.env, CAUSEWAY_LOG_LEVEL: 'info', ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m && (!options.demo || /Demo: replayed/.test(out))) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    child,
    port,
    output: () => out,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
