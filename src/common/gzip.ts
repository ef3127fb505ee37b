/** Gzip bodies (files, HTTP bodies, hub messages): recognised by their magic bytes, inflated within a limit. */
import { gunzip, gunzipSync } from 'node:zlib';

/** What one body may inflate to unless configured otherwise. */
export const DEFAULT_MAX_INFLATED_BYTES = 256 * 1024 * 1024;

export function isGzip(body: Uint8Array): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** Inflates at most `maxBytes`; throws (RangeError) past it and on a corrupt stream, never allocates more. */
export function inflate(body: Uint8Array, maxBytes: number): Buffer {
  return gunzipSync(body, { maxOutputLength: maxBytes });
}

/** The same, off the event loop (zlib's thread pool): a 30 KB body that inflates to 31 MB blocks nothing. */
export function inflateAsync(body: Uint8Array, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    gunzip(body, { maxOutputLength: maxBytes }, (error, out) => (error ? reject(error) : resolve(out))),
  );
}
