/**
 * Finding 9 of issue 14: a table file whose last line was torn by a crash does not swallow the
 * next row. The torn tail is cut off (and reported) before the first append.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalTableSink, type TornTail } from '../../../src/sinks/localTables.ts';
import { readTable } from '../../../src/sinks/tableFiles.ts';

const row = (n: number) => ({ TimeGenerated: '2026-11-30T00:00:00.000Z', RecordType: 'health', Host: `h${n}` });

describe('appending to a table file torn by a crash', () => {
  it('cuts the torn last line, counts it, and keeps every whole row readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-torn-'));
    const file = join(dir, 'CausewayPipeline_CL.jsonl');
    const torn = JSON.stringify(row(2)).slice(0, 30);
    writeFileSync(file, JSON.stringify(row(1)) + '\n' + torn);
    const repairs: TornTail[] = [];
    const sink = new LocalTableSink(dir, (t) => repairs.push(t));
    await sink.write('CausewayPipeline_CL', [row(3)]);
    await sink.write('CausewayPipeline_CL', [row(4)]);
    const read = readTable(dir, 'CausewayPipeline_CL');
    expect(read.skipped).toBe(0);
    expect(read.rows.map((r) => r.Host)).toEqual(['h1', 'h3', 'h4']);
    expect(repairs).toEqual([{ table: 'CausewayPipeline_CL', file, bytes: Buffer.byteLength(torn) }]);
    expect(sink.repaired).toHaveLength(1);
  });

  it('empties a file that holds nothing but a torn line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-torn-'));
    writeFileSync(join(dir, 'CausewayStories_CL.jsonl'), '{"StoryId":"s1","Ver');
    const sink = new LocalTableSink(dir);
    await sink.write('CausewayStories_CL', [{ StoryId: 's2', Version: 1 }]);
    expect(readFileSync(join(dir, 'CausewayStories_CL.jsonl'), 'utf8')).toBe('{"StoryId":"s2","Version":1}\n');
  });

  it('leaves a whole file as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-torn-'));
    writeFileSync(join(dir, 'CausewayStories_CL.jsonl'), '{"StoryId":"s1","Version":1}\n');
    const sink = new LocalTableSink(dir);
    await sink.write('CausewayStories_CL', [{ StoryId: 's2', Version: 1 }]);
    expect(readTable(dir, 'CausewayStories_CL').rows).toHaveLength(2);
    expect(sink.repaired).toEqual([]);
  });
});
