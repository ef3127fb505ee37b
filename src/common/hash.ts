/**
 * The hashes the pipeline uses: SHA-256 for anything that leaves the process (dead-letter payload
 * hashes, content summaries, deterministic ids) and FNV-1a for in-process keys (partitions, dedupe).
 */
import { createHash } from 'node:crypto';

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A deterministic UUID-shaped id from a text (story and profile ids). */
export function uuidFrom(text: string): string {
  const h = sha256(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** 32-bit FNV-1a: the same key lands on the same partition in every host. */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A 53-bit FNV-1a-style hash (two 32-bit lanes). Numbers instead of id strings keep a few thousand
 * recent ids per workload cheap in memory and in Map lookups; a false match needs two 2^-26
 * collisions among a workload's recent ids.
 */
export function hash53(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}
