/** One row of a Log Analytics table, column name → value (schemas/tables/ name the columns). */
export type Row = Record<string, unknown>;
