/**
 * Directories the process writes to, made and checked before anything runs. Node's recursive
 * mkdir never returns for some paths (`/proc/x`: the kernel answers ENOENT for a parent that
 * exists), so missing parents are made one at a time, and every failure says why in words.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Why a directory cannot be used; undefined when it exists (or was made) and is writable. */
export function directoryProblem(dir: string): string | undefined {
  const path = resolve(dir);
  const missing: string[] = [];
  let at = path;
  for (;;) {
    const kind = kindOf(at);
    if (kind === 'dir') break;
    if (kind === 'file') return `${at} is a file, not a directory`;
    if (kind !== 'missing') return `${at} cannot be read (${kind})`;
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) return `no part of ${path} exists`;
    at = parent;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && kindOf(d) === 'dir') continue;
      return `${d} cannot be created (${explain(code)})`;
    }
  }
  try {
    accessSync(path, constants.W_OK);
  } catch (e) {
    return `${path} is not writable (${explain((e as NodeJS.ErrnoException).code)})`;
  }
  return undefined;
}

function kindOf(path: string): 'dir' | 'file' | 'missing' | string {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') return 'file';
    return explain(code);
  }
}

function explain(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOENT':
      return 'the file system does not allow it there';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'ENOTDIR':
      return 'a part of the path is a file';
    default:
      return code ?? 'unknown error';
  }
}
