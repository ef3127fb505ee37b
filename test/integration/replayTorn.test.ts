/**
 * Finding 3 of issue 14 through `causeway replay`: a rotated log file whose first line is the torn
 * tail of a record loses that line only, however large the file (large files go through in
 * chunks of lines).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { readTable } from '../../src/sinks/tableFiles.ts';
import { samples, withValue } from '../helpers/hostile.ts';

describe('replay of a rotated log', () => {
  it('rejects the torn first line alone and delivers every other line of a file of many MB', async () => {
    const falco = samples().find((s) => s.name === 'falco')!.record;
    const lines = Array.from({ length: 6000 }, (_, i) =>
      JSON.stringify(withValue(falco, ['output'], `${String(falco.output)} ${'.'.repeat(600)} #${i}`)),
    );
    const dir = mkdtempSync(join(tmpdir(), 'cw-rotated-'));
    const file = join(dir, 'falco.jsonl');
    writeFileSync(file, [lines[0]!.slice(300), ...lines.slice(1)].join('\n') + '\n');
    let out = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['replay', file, '--out', join(dir, 'out')], {})).toBe(0);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    expect(out).toMatch(/Records: delivered 5999 \(ok 5999\) · rejected 1 \(malformed-json 1\)/);
    const dead = readTable(join(dir, 'out'), 'CausewayPipeline_CL').rows;
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ ReasonCode: 'malformed-json', RecordCount: 1, Details: { positions: [1] } });
  });
});
