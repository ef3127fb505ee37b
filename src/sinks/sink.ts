/** What every sink offers: write rows per table, report per-row status, flush, close. */
import type { BatchReport } from '../common/report.ts';
import type { Row, TableName } from './tables.ts';

export interface Sink {
  readonly name: string;
  /** Writes rows; returns the status of every row (delivered, rejected with reason, errored). */
  write(table: TableName, rows: readonly Row[]): Promise<BatchReport>;
  flush(): Promise<BatchReport>;
  close(): Promise<void>;
}
