/** Partition snapshots in Blob Storage (identity-based): one blob per stage and partition. */
import type { ContainerClient } from '@azure/storage-blob';
import type { StateStore } from '../../pipeline/stateStore.ts';

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
