/**
 * @kusto/language-service-next (Kusto.Language compiled to JavaScript) with a global state built
 * from schemas/tables, the Sentinel tables our content reads, and our parsers as functions.
 */
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { tableSchemas } from '../../src/sinks/tables.ts';

const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.min.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');

/* eslint-disable @typescript-eslint/no-explicit-any -- the Bridge.NET API has no usable types here */
const K = (globalThis as any).Kusto.Language;
const S = K.Symbols;

export const ROOT = new URL('../../', import.meta.url).pathname;

const TYPES: Record<string, unknown> = {
  string: S.ScalarTypes.String,
  int: S.ScalarTypes.Int,
  long: S.ScalarTypes.Long,
  real: S.ScalarTypes.Real,
  boolean: S.ScalarTypes.Bool,
  bool: S.ScalarTypes.Bool,
  datetime: S.ScalarTypes.DateTime,
  dynamic: S.ScalarTypes.Dynamic,
  guid: S.ScalarTypes.Guid,
};

function table(name: string, columns: [string, string][]): unknown {
  return new S.TableSymbol.$ctor4(
    name,
    columns.map(([c, t]) => new S.ColumnSymbol(c, TYPES[t])),
  );
}

export interface Parser {
  file: string;
  name: string;
  params: { Name: string; Type: string; Default?: unknown }[];
  query: string;
}

export function loadYaml<T>(dir: string): { file: string; doc: T }[] {
  return readdirSync(ROOT + dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, doc: parseYaml(readFileSync(ROOT + `${dir}/${f}`, 'utf8')) as T }));
}

export function parsers(): Parser[] {
  return loadYaml<Record<string, any>>('kql/parsers').map(({ file, doc }) => ({
    file,
    name: doc.FunctionName ?? doc.ParserName,
    params: doc.FunctionParams ?? doc.ParserParams ?? [],
    query: doc.FunctionQuery ?? doc.ParserQuery,
  }));
}

/**
 * Columns Log Analytics adds to every table, custom ones included (ASIM parsers read `Type` and
 * `_ItemId`); the DCR does not send them, so schemas/tables does not list them.
 */
const STANDARD_COLUMNS: [string, string][] = [
  ['TenantId', 'string'],
  ['Type', 'string'],
  ['_ItemId', 'string'],
  ['_ResourceId', 'string'],
  ['_SubscriptionId', 'string'],
];

let state: any;

/** The global state: our tables, Sentinel's, and our parsers as workspace functions. */
export function globals(): any {
  if (state) return state;
  const members: unknown[] = [...tableSchemas().values()].map((t) =>
    table(t.name, [...t.columns.map((c): [string, string] => [c.name, c.type]), ...STANDARD_COLUMNS]),
  );
  const sentinel = JSON.parse(readFileSync(ROOT + 'schemas/sentinel/sentinel-tables.json', 'utf8')) as {
    tables: { name: string; columns: [string, string][] }[];
  };
  for (const t of sentinel.tables) members.push(table(t.name, t.columns));
  for (const p of parsers()) {
    const params = `(${p.params.map((x) => `${x.Name}:${x.Type}${x.Default !== undefined ? `=${typeof x.Default === 'string' && x.Type === 'string' ? `'${x.Default}'` : String(x.Default)}` : ''}`).join(', ')})`;
    members.push(new S.FunctionSymbol.$ctor16(p.name, params, `{\n${p.query}\n}`, ''));
  }
  const db = new S.DatabaseSymbol.ctor('workspace', members);
  state = K.GlobalState.Default.WithCluster(new S.ClusterSymbol.ctor('sentinel', [db])).WithDatabase(db);
  return state;
}

/** The Kusto.Language syntax tree of a query (Bridge.NET objects: walk with ChildCount/GetChild). */
export function parseKql(query: string): any {
  return K.KustoCode.Parse(query).Syntax;
}

export interface Analysis {
  errors: string[];
  /** Result columns of the query (for entity mappings and custom details). */
  columns: string[];
  /** Result column types by name, in Kusto's spelling (`string`, `int`, `long`, `datetime`, `bool`, …). */
  types: Record<string, string>;
}

export function analyse(query: string, extra?: (g: any) => any): Analysis {
  const g = extra ? extra(globals()) : globals();
  const code = K.KustoCode.ParseAndAnalyze(query, g);
  const diags = code.GetDiagnostics();
  const errors: string[] = [];
  for (let i = 0; i < diags.Count; i++) {
    const d = diags.getItem(i);
    if (String(d.Severity) === 'Error')
      errors.push(
        `${d.Message} (at ${d.Start}: "${query.slice(d.Start, d.Start + Math.max(1, d.Length)).slice(0, 40)}")`,
      );
  }
  const columns: string[] = [];
  const types: Record<string, string> = {};
  const result = code.ResultType;
  if (result && result.Columns)
    for (let i = 0; i < result.Columns.Count; i++) {
      const column = result.Columns.getItem(i);
      columns.push(column.Name);
      types[column.Name] = String(column.Type.Name);
    }
  return { errors, columns, types };
}

/** A DCR transformation runs over `source`, a table with the stream's columns. */
export function withSource(columns: [string, string][]): (g: any) => any {
  return (g) => {
    const db = new S.DatabaseSymbol.ctor('dcr', [table('source', columns)]);
    return g.WithCluster(new S.ClusterSymbol.ctor('dcr', [db])).WithDatabase(db);
  };
}
