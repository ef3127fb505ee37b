/**
 * Vitest global setup: compiles the sources once (incremental, so a no-change run is quick), since
 * the CLI tests run the published bin, which runs dist/.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
