/** The table schemas (schemas/tables/*.json), read once: the single source of truth for columns. */
import { readSchemaFile } from '../schemas.ts';

export type ColumnType = 'string' | 'int' | 'long' | 'real' | 'boolean' | 'datetime' | 'dynamic' | 'guid';

export interface TableSchema {
  name: TableName;
  description: string;
  columns: { name: string; type: ColumnType; description: string }[];
}

export const TABLE_NAMES = [
  'CausewayStories_CL',
  'CausewayEvidence_CL',
  'CausewayProfiles_CL',
  'CausewayPipeline_CL',
  'CausewayInventory_CL',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

let cache: Map<TableName, TableSchema> | undefined;

export function tableSchemas(): Map<TableName, TableSchema> {
  cache ??= new Map(TABLE_NAMES.map((n) => [n, readSchemaFile<TableSchema>('tables', `${n}.json`)]));
  return cache;
}

export function tableSchema(name: TableName): TableSchema {
  return tableSchemas().get(name)!;
}

/** The DCR input stream for a table (reference/azure-platform.md §2.2: streams begin with Custom-). */
export function streamName(table: TableName): string {
  return `Custom-${table}`;
}

export type { Row } from '../model/row.ts';
