/**
 * Local tables (the embedded default): `<dir>/<Table>.jsonl`, one row per line, exactly the
 * schema's columns. Appends; rows are idempotent by id, so a replay only repeats identical rows.
 * A file whose last line was torn by a crash (no final newline) has that tail cut off before the
 * first append, so the next row starts a line of its own instead of being glued onto garbage.
 */
import { appendFileSync, closeSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { count, emptyReport, type BatchReport } from '../common/report.ts';
import { directoryProblem } from '../common/dirs.ts';
import type { Sink } from './sink.ts';
import type { Row, TableName } from './tables.ts';

/** A torn tail cut off a table file, as reported to the host's log. */
export interface TornTail {
  table: TableName;
  file: string;
  /** Bytes of the incomplete last line that were removed. */
  bytes: number;
}

export class LocalTableSink implements Sink {
  readonly name = 'local';
  /** Torn tails found and cut off, since start. */
  readonly repaired: TornTail[] = [];
  private readonly checked = new Set<TableName>();

  constructor(
    readonly dir: string,
    private readonly onRepair?: (torn: TornTail) => void,
  ) {
    const problem = directoryProblem(dir);
    if (problem) throw new Error(problem);
  }

  path(table: TableName): string {
    return join(this.dir, `${table}.jsonl`);
  }

  async write(table: TableName, rows: readonly Row[]): Promise<BatchReport> {
    const report = emptyReport();
    if (!rows.length) return report;
    if (!this.checked.has(table)) {
      this.checked.add(table);
      const bytes = cutTornTail(this.path(table));
      if (bytes > 0) {
        const torn = { table, file: this.path(table), bytes };
        this.repaired.push(torn);
        this.onRepair?.(torn);
      }
    }
    appendFileSync(this.path(table), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    count(report, 'delivered', 'ok', rows.length);
    return report;
  }

  async flush(): Promise<BatchReport> {
    return emptyReport();
  }

  async close(): Promise<void> {}
}

/** Cuts a file back to its last newline; returns the bytes removed (0 for a missing or whole file). */
export function cutTornTail(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch {
    return 0;
  }
  try {
    const size = fstatSync(fd).size;
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (nl !== -1) {
        const keep = start + nl + 1;
        if (keep < size) ftruncateSync(fd, keep);
        return size - keep;
      }
      end = start;
    }
    if (size > 0) ftruncateSync(fd, 0);
    return size;
  } finally {
    closeSync(fd);
  }
}
