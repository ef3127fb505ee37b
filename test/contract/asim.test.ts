/**
 * The ASIM parsers against the Azure-Sentinel repository's own checks (committed as
 * test/fixtures/sentinel-validation): the parser PR check (VerifyASimParserTemplate.py: header,
 * names, LastUpdated format, schema versions, references), the ASimSchemaTester rules (mandatory,
 * conditional and alias fields, column types) over the columns the Kusto language service binds,
 * the ASimDataTester's enumerated values over the literals each parser assigns, the standard vim
 * parameter lists, and the custom unifying parsers the built-in ASIM parsers call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AsimField } from '../../scripts/extractSentinelValidation.ts';
import { ASIM_SCHEMAS, SENTINEL_VALIDATION_FIXTURES } from '../../scripts/extractSentinelValidation.ts';
import { expressionText, namedExpressions, possibleValues } from '../helpers/kqlAssignments.ts';
import { analyse, loadYaml } from '../helpers/kusto.ts';

type Schema = (typeof ASIM_SCHEMAS)[number];

interface ParserDoc {
  Parser: { Title: string; Version: string; LastUpdated: string };
  Normalization: { Schema: string; Version: string };
  References: { Title: string; Link: string }[];
  ParserName: string;
  EquivalentBuiltInParser: string;
  ParserParams: { Name: string; Type: string; Default: unknown }[];
  ParserQuery: string;
}

const fixture = (f: string) => JSON.parse(readFileSync(join(SENTINEL_VALIDATION_FIXTURES, f), 'utf8')) as unknown;
const { fields } = fixture('asim-fields.json') as { fields: AsimField[] };
const rules = fixture('asim-parsers.json') as {
  schemas: Record<Schema, { version: string; title: string; link: string }>;
  aboutAsim: { title: string; link: string };
  lastUpdated: { months: string[] };
  parserVersionPattern: string;
  vimParameters: Record<Schema, { name: string; type: string; default: string }[]>;
};

const all = loadYaml<Record<string, unknown>>('kql/parsers');
const asimParsers = all
  .filter((p) => typeof p.doc.ParserName === 'string')
  .map(({ file, doc }) => ({ file, doc: doc as unknown as ParserDoc }));
const byName = (name: string) => asimParsers.find((p) => p.doc.ParserName === name)!.doc;

/** `name:type=default` as the fixture writes it. */
const paramSpec = (p: ParserDoc['ParserParams'][number]) =>
  `${p.Name}:${p.Type}=${p.Type === 'string' ? `'${String(p.Default)}'` : String(p.Default)}`;

/** The parser's query with its parameters declared at their defaults, bound by the Kusto language service. */
function bind(doc: ParserDoc) {
  const lets = doc.ParserParams.map((p) => `let ${paramSpec(p).replace(/:\w+=/, ' = ')};`).join('\n');
  return analyse(`${lets}\n${doc.ParserQuery}`);
}

/** Python's strptime(value, '%b %d, %Y'): `Nov 30, 2026`. */
function isLastUpdated(value: string): boolean {
  const m = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})$/.exec(value);
  if (!m) return false;
  const month = rules.lastUpdated.months.indexOf(m[1]!);
  const date = new Date(Date.UTC(Number(m[3]), month, Number(m[2])));
  return month >= 0 && date.getUTCDate() === Number(m[2]);
}

/** The ASimSchemaTester's field list: the schema's rows, and Common's where the schema has none. */
function schemaFields(schema: Schema): Map<string, AsimField> {
  const merged = new Map<string, AsimField>();
  for (const f of fields) if (f.schema === schema) merged.set(f.column, f);
  for (const f of fields) if (f.schema === 'Common' && !merged.has(f.column)) merged.set(f.column, f);
  return merged;
}

/** The ASimSchemaTester's results (ASIM/dev/ASimTester/Testers/ASimSchemaTester.yaml) for a parser's columns. */
function schemaTester(schema: Schema, columns: Record<string, string>): { errors: string[]; warnings: string[] } {
  const schemaFieldMap = schemaFields(schema);
  const errors: string[] = [];
  const warnings: string[] = [];
  const has = (c: string) => c in columns;
  for (const f of schemaFieldMap.values()) {
    if (has(f.column)) {
      if (columns[f.column] !== f.type)
        errors.push(`type mismatch for column [${f.column}]: ${columns[f.column]}, should be ${f.type}`);
      continue;
    }
    const parent = schemaFieldMap.get(f.aliased)?.class;
    if (f.class === 'Mandatory') errors.push(`Missing mandatory field [${f.column}]`);
    else if (f.class === 'Recommended') warnings.push(f.column);
    else if (f.class === 'Conditional' && (parent === 'Mandatory' || has(f.aliased)))
      errors.push(`Missing field [${f.column}] is mandatory when field [${f.aliased}] exists`);
    else if (f.class === 'Alias' && (parent === 'Mandatory' || has(f.aliased)))
      errors.push(`Missing alias [${f.column}] aliasing [${f.aliased}]`);
  }
  return { errors, warnings: warnings.sort() };
}

/** Recommended fields Causeway has no data for, and why. Anything else recommended must be there. */
const NOT_RECORDED: Record<Schema, Record<string, string>> = {
  ProcessEvent: {
    ActorUserId: 'one user field (name or uid) is recorded, as TargetUsername',
    TargetUserId: 'one user field (name or uid) is recorded, as TargetUsername',
    DvcDomain: 'nodes are recorded by name only',
    DvcIpAddr: 'nodes are recorded by name only',
    TargetProcessCreationTime: 'evidence rows carry the event time, not the process start time',
  },
  FileEvent: {
    ActorUserId: 'one user field (name or uid) is recorded',
    DvcAction: 'Causeway observes file access; it does not block it',
    DvcDomain: 'nodes are recorded by name only',
    DvcIpAddr: 'nodes are recorded by name only',
    SrcFilePath: 'file events have one path (no copy or rename source)',
    SrcFilePathType: 'file events have one path (no copy or rename source)',
    SrcIpAddr: 'local file access has no source address',
  },
  NetworkSession: {
    DvcDomain: 'nodes are recorded by name only',
    DvcIpAddr: 'nodes are recorded by name only',
    EventResultDetails: 'connections are recorded as made, without result details',
    SrcDomain: 'the source is a pod, which has no domain',
  },
};

/** Columns whose allowed values Azure-Sentinel lists per product: a new product is added to ASimTester.csv with its parsers. */
const PRODUCT_COLUMNS = ['EventProduct', 'EventVendor'];

for (const schema of ASIM_SCHEMAS) {
  const asim = byName(`ASim${schema}Causeway`);
  const vim = byName(`vim${schema}Causeway`);
  const info = rules.schemas[schema];

  describe(`ASIM ${schema} parsers`, () => {
    for (const [prefix, doc] of [
      ['ASim', asim],
      ['vim', vim],
    ] as const)
      it(`${doc.ParserName} passes the parser PR check (header, names, LastUpdated, schema version, references)`, () => {
        expect(doc.Parser.Title).toBeTruthy();
        expect(doc.Parser.Version).toMatch(new RegExp(rules.parserVersionPattern));
        expect(isLastUpdated(doc.Parser.LastUpdated), `LastUpdated '${doc.Parser.LastUpdated}' as 'Nov 30, 2026'`).toBe(
          true,
        );
        expect(doc.Normalization).toEqual({ Schema: schema, Version: info.version });
        expect(doc.References.length).toBeGreaterThan(0);
        for (const r of doc.References) {
          if (r.Title === info.title) expect(r.Link).toBe(info.link);
          if (r.Title === rules.aboutAsim.title) expect(r.Link).toBe(rules.aboutAsim.link);
        }
        expect(doc.References.map((r) => r.Title)).toContain(info.title);
        expect(doc.ParserName).toMatch(new RegExp(`^${prefix}${schema}`));
        expect(doc.EquivalentBuiltInParser).toMatch(new RegExp(`^_${prefix === 'ASim' ? 'ASim' : 'Im'}_${schema}_`));
        expect(doc.ParserQuery).toMatch(/EventProduct\s*=\s*['"]([^'"]+)['"]/);
        expect(doc.ParserQuery).toMatch(/EventVendor\s*=\s*['"]([^'"]+)['"]/);
        const version = namedExpressions(doc.ParserQuery).find(([n]) => n === 'EventSchemaVersion');
        expect(possibleValues(version![1]).values).toEqual([info.version]);
      });

    it(`ASim${schema}Causeway takes only disabled:bool=false and honours it`, () => {
      expect(asim.ParserParams.map(paramSpec)).toEqual(['disabled:bool=false']);
      expect(asim.ParserQuery).toMatch(/\| where not\(disabled\)\n/);
    });

    it(`vim${schema}Causeway takes the standard ${schema} parameters, in order, and uses each`, () => {
      expect(vim.ParserParams.map(paramSpec)).toEqual(
        rules.vimParameters[schema].map((p) => `${p.name}:${p.type}=${p.default}`),
      );
      expect(vim.ParserQuery).toMatch(/\| where not\(disabled\)\n/);
      for (const p of vim.ParserParams) expect(vim.ParserQuery, p.Name).toMatch(new RegExp(`\\b${p.Name}\\b`));
    });

    for (const doc of [asim, vim])
      it(`${doc.ParserName} has every mandatory, conditional and alias field with the schema's types (ASimSchemaTester)`, () => {
        const { errors, columns, types } = bind(doc);
        expect(errors).toEqual([]);
        expect(columns.length).toBeGreaterThan(20);
        const result = schemaTester(schema, types);
        expect(result.errors).toEqual([]);
        expect(result.warnings).toEqual(Object.keys(NOT_RECORDED[schema]).sort());
      });

    it(`ASim${schema}Causeway assigns only values the schema lists to enumerated fields (ASimDataTester)`, () => {
      const enumerated = fields.filter((f) => f.schema === schema && f.logicalType === 'Enumerated' && f.values.length);
      const assigned = namedExpressions(asim.ParserQuery);
      const { columns } = bind(asim);
      let checked = 0;
      for (const f of enumerated.filter((x) => columns.includes(x.column))) {
        const expressions = assigned.filter(([n]) => n === f.column);
        expect(expressions.length, `${f.column} is assigned by the parser`).toBeGreaterThan(0);
        for (const [, e] of expressions) {
          const { values, unknown } = possibleValues(e);
          expect(unknown, `${f.column} is assigned literals only`).toEqual([]);
          if (PRODUCT_COLUMNS.includes(f.column)) {
            expect(values).toEqual(['Causeway']);
            expect(f.values, `${f.column}: Causeway is to be added to ASimTester.csv upstream`).not.toContain(
              'Causeway',
            );
          } else for (const v of values.filter(Boolean)) expect(f.values, `${f.column} = '${v}'`).toContain(v);
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(5);
    });

    it(`vim${schema}Causeway returns exactly what ASim${schema}Causeway returns: same columns, types and mapping`, () => {
      const a = bind(asim);
      const v = bind(vim);
      expect(v.columns).toEqual(a.columns);
      expect(v.types).toEqual(a.types);
      // The filter-result columns are computed from the filters in vim and are '-' in ASim.
      const mapping = (doc: ParserDoc) =>
        Object.fromEntries(
          namedExpressions(doc.ParserQuery)
            .filter(([n]) => !/^(ASimMatching|temp_)/.test(n))
            .map(([n, e]) => [n, expressionText(e)]),
        );
      expect(mapping(vim)).toEqual(mapping(asim));
    });
  });
}

describe('the ASimSchemaTester port', () => {
  it('refuses a missing mandatory field, a missing alias and a wrong type, and DvcId without DvcIdType', () => {
    const process = bind(byName('ASimProcessEventCauseway')).types;
    const { ActorUsername: _actor, Process: _process, ...planted } = process;
    expect(schemaTester('ProcessEvent', { ...planted, EventCount: 'long' }).errors).toEqual([
      'Missing mandatory field [ActorUsername]',
      'type mismatch for column [EventCount]: long, should be int',
      'Missing alias [Process] aliasing [TargetProcessName]',
    ]);
    const file = bind(byName('ASimFileEventCauseway')).types;
    expect(schemaTester('FileEvent', { ...file, DvcId: 'string' }).errors).toEqual([
      'Missing field [DvcIdType] is mandatory when field [DvcId] exists',
    ]);
  });
});

describe('ASIM unifying parsers', () => {
  const functions = all.filter((p) => typeof p.doc.FunctionName === 'string');

  // Manage ASIM parsers ("Add a custom parser to a built-in unifying parser"): the built-in unifying
  // parsers call these workspace functions with these arguments.
  const documentedCalls: Record<Schema, string> = {
    ProcessEvent:
      'starttime, endtime, commandline_has_any, commandline_has_all, commandline_has_any_ip_prefix, actingprocess_has_any, targetprocess_has_any, parentprocess_has_any, targetusername_has, actorusername_has, dvcipaddr_has_any_prefix, dvchostname_has_any, eventtype',
    FileEvent:
      'starttime, endtime, eventtype_in, srcipaddr_has_any_prefix, actorusername_has_any, targetfilepath_has_any, srcfilepath_has_any, hashes_has_any, dvchostname_has_any',
    NetworkSession:
      'starttime, endtime, srcipaddr_has_any_prefix, dstipaddr_has_any_prefix, ipaddr_has_any_prefix, dstportnumber, hostname_has_any, dvcaction, eventresult',
  };

  for (const schema of ASIM_SCHEMAS)
    it(`Im_${schema}Custom answers the built-in parsers' call with the Causeway rows of vim${schema}Causeway`, () => {
      expect(functions.map((f) => f.doc.FunctionName)).toContain(`Im_${schema}Custom`);
      const lets = rules.vimParameters[schema]
        .filter((p) => p.name !== 'disabled')
        .map((p) => `let ${p.name} = ${p.default};`)
        .join('\n');
      const called = analyse(`${lets}\nIm_${schema}Custom(${documentedCalls[schema]})`);
      expect(called.errors).toEqual([]);
      expect(called.columns).toEqual(bind(byName(`vim${schema}Causeway`)).columns);
    });
});
