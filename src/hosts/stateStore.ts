/**
 * Where partition snapshots live between owners: Blob Storage in Azure (identity-based, one blob per
 * stage and partition), a directory locally. The snapshot carries the last offset folded into it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';

export interface StateStore {
  load<T>(key: string): Promise<T | undefined>;
  save(key: string, snapshot: unknown): Promise<void>;
}

export class BlobStateStore implements StateStore {
  constructor(private readonly container: ContainerClient) {}

  async load<T>(key: string): Promise<T | undefined> {
    const blob = this.container.getBlockBlobClient(`${key}.json`);
    try {
      const buffer = await blob.downloadToBuffer();
      return JSON.parse(buffer.toString('utf8')) as T;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  async save(key: string, snapshot: unknown): Promise<void> {
    const body = JSON.stringify(snapshot);
    await this.container
      .getBlockBlobClient(`${key}.json`)
      .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }
}

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
