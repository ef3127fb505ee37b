import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { exceedsDepth, unwrap } from '../../../src/sources/envelope.ts';

const limits = { maxRecordBytes: 1024, maxDepth: 8 };

describe('unwrap', () => {
  it('reads one object, an array, JSON Lines and {records:[…]}', () => {
    expect(unwrap('{"a":1}', limits).records).toHaveLength(1);
    expect(unwrap('[{"a":1},{"b":2}]', limits).records).toHaveLength(2);
    expect(unwrap('{"a":1}\n{"b":2}\n\n{"c":3}\n', limits).records).toHaveLength(3);
    expect(unwrap('{"records":[{"a":1},{"b":2}]}', limits).records.map((r) => r.value)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('keeps a product payload whole when records is only one of its fields', () => {
    expect(unwrap('{"records":[1],"kind":"x"}', limits).records).toHaveLength(1);
  });

  it('inflates gzip bodies', () => {
    expect(unwrap(gzipSync('{"a":1}\n{"a":2}'), limits).records).toHaveLength(2);
  });

  it('rejects a malformed JSON Lines line without losing its neighbours', () => {
    const out = unwrap('{"a":1}\n{"a":\n{"a":3}', limits);
    expect(out.records).toHaveLength(2);
    expect(out.rejections).toMatchObject([{ reason: 'malformed-json', position: 2 }]);
  });

  it('rejects a YAML document once, with a hint, not once per line', () => {
    const out = unwrap('apiVersion: v1\nkind: NetworkNeighborhood\nspec: {}\n', limits);
    expect(out.rejections).toHaveLength(1);
    expect(out.rejections[0]?.detail).toMatch(/looks like YAML/);
  });

  it('rejects records over the size limit and deeper than the depth limit', () => {
    const big = JSON.stringify({ a: 'x'.repeat(2000) });
    expect(unwrap(big, limits).rejections[0]?.reason).toBe('too-large');
    const deep = '{"a":'.repeat(10) + '1' + '}'.repeat(10);
    expect(unwrap(deep, limits).rejections[0]?.reason).toBe('too-deep');
    expect(unwrap(`[${deep}, {"ok":1}]`, { ...limits, maxDepth: 9 }).records).toHaveLength(1);
  });

  it('rejects a corrupt gzip body and an empty body', () => {
    expect(unwrap(Buffer.from([0x1f, 0x8b, 1, 2, 3]), limits).rejections[0]?.reason).toBe('malformed-gzip');
    expect(unwrap('   ', limits).rejections[0]?.reason).toBe('empty');
  });

  it('rejects scalars and arrays of scalars as unknown-format', () => {
    expect(unwrap('42', limits).rejections[0]?.reason).toBe('malformed-json');
    expect(unwrap('[1,2]', limits).rejections.map((r) => r.reason)).toEqual(['unknown-format', 'unknown-format']);
  });
});

describe('exceedsDepth', () => {
  it('ignores brackets inside strings', () => {
    expect(exceedsDepth('{"a":"[[[[[[[[[[[["}', 2)).toBe(false);
    expect(exceedsDepth('[[[', 2)).toBe(true);
  });
});
