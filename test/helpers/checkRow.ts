/** A row has exactly its table's columns, in schema order, each of the column's type (or null). */
import { expect } from 'vitest';
import { tableSchema, type ColumnType, type Row, type TableName } from '../../src/sinks/tables.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

export function checkRow(table: TableName, row: Row): void {
  const columns = tableSchema(table).columns;
  expect(Object.keys(row)).toEqual(columns.map((c) => c.name));
  for (const c of columns) {
    const v = row[c.name];
    if (v === null) continue;
    const ok: Record<ColumnType, (x: unknown) => boolean> = {
      string: (x) => typeof x === 'string',
      guid: (x) => typeof x === 'string',
      int: (x) => Number.isInteger(x) && Math.abs(x as number) < 2 ** 31,
      long: (x) => Number.isInteger(x),
      real: (x) => typeof x === 'number',
      boolean: (x) => typeof x === 'boolean',
      datetime: (x) => typeof x === 'string' && ISO.test(x),
      dynamic: (x) => typeof x === 'object',
    };
    expect(ok[c.type](v), `${table}.${c.name} (${c.type}) = ${JSON.stringify(v)}`).toBe(true);
  }
}
