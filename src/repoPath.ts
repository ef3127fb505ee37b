import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, found from this module's location so it works from `src/` (tsx) and
 * from `dist/src/` (compiled Functions app) alike.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Causeway could not find its package root (package.json next to schemas/).');
    dir = parent;
  }
}

export const REPO_ROOT = findRoot();

/** A path inside the package, e.g. `repoPath('schemas', 'tables')`. */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
