/**
 * Local tables (the embedded default): `<dir>/<Table>.jsonl`, one row per line, exactly the
 * schema's columns. Appends; rows are idempotent by id, so a replay only repeats identical rows.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { count, emptyReport, type BatchReport } from '../common/report.ts';
import type { Sink } from './sink.ts';
import type { Row, TableName } from './tables.ts';

export class LocalTableSink implements Sink {
  readonly name = 'local';

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(table: TableName): string {
    return join(this.dir, `${table}.jsonl`);
  }

  async write(table: TableName, rows: readonly Row[]): Promise<BatchReport> {
    const report = emptyReport();
    if (!rows.length) return report;
    appendFileSync(this.path(table), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    count(report, 'delivered', 'ok', rows.length);
    return report;
  }

  async flush(): Promise<BatchReport> {
    return emptyReport();
  }

  async close(): Promise<void> {}
}
