/** Partition snapshots in a local directory: one file per stage and partition, written atomically. */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StateStore } from '../pipeline/stateStore.ts';

export class FileStateStore implements StateStore {
  constructor(private readonly dir: string) {}

  async load<T>(key: string): Promise<T | undefined> {
    const path = join(this.dir, `${key}.json`);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
  }

  async save(key: string, snapshot: unknown): Promise<void> {
    const path = join(this.dir, `${key}.json`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path + '.tmp', JSON.stringify(snapshot));
    renameSync(path + '.tmp', path);
  }
}
