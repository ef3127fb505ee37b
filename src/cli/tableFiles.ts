/** Reading a local tables directory (`<dir>/<Table>.jsonl`) for the commands that work from one. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, TableName } from '../sinks/tables.ts';

/** Rows of one table; a missing file is no rows, and a line that is not a JSON object is skipped. */
export function readTableRows(dir: string, table: TableName): Row[] {
  const file = join(dir, `${table}.jsonl`);
  if (!existsSync(file)) return [];
  const rows: Row[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const row: unknown = JSON.parse(line);
      if (row && typeof row === 'object' && !Array.isArray(row)) rows.push(row as Row);
    } catch {
      // A torn last line (the writer was stopped mid-line) is not a row.
    }
  }
  return rows;
}
