/**
 * Copies the Azure-Sentinel repository's validation rules that our content tests apply, from
 * ../shared/reference/sentinel-validation into test/fixtures/sentinel-validation/ (so a clone
 * without ../shared runs them):
 * - asim-fields.json: the ASimTester column catalogue (ASIM/dev/ASimTester/ASimTester.csv) for the
 *   schemas Causeway's parsers implement, plus Common;
 * - asim-parsers.json: the parser PR check's schema versions, titles and links
 *   (VerifyASimParserTemplate.py SCHEMA_INFO) and the standard vim parameter lists;
 * - analytics-rules.json: the detection template validator's entity identifiers and enums.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../src/repoPath.ts';

/** The ASIM schemas Causeway ships parsers for; Common holds the fields every schema shares. */
export const ASIM_SCHEMAS = ['ProcessEvent', 'FileEvent', 'NetworkSession'] as const;

/** One ASimTester.csv row. */
export interface AsimField {
  column: string;
  type: string;
  class: string;
  schema: string;
  logicalType: string;
  /** Allowed values of an Enumerated field (ListOfValues split on `|`); empty when not listed. */
  values: string[];
  /** The field this one aliases or is conditional on (`|`-joined when several), or ''. */
  aliased: string;
}

const DIR = repoPath('test', 'fixtures', 'sentinel-validation');

function asimFields(dir: string): AsimField[] {
  // The catalogue has no quoted fields; a row that does not split into the header's columns is refused
  // rather than guessed at.
  const [header, ...lines] = readFileSync(join(dir, 'ASimTester.csv'), 'utf8').split(/\r?\n/).filter(Boolean);
  const names = header!.split(',');
  const rows = lines.map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== names.length || line.includes('"'))
      throw new Error(`ASimTester.csv line ${i + 2}: expected ${names.length} unquoted fields`);
    return Object.fromEntries(names.map((n, j) => [n, cells[j]!]));
  });
  const wanted = new Set<string>(['Common', ...ASIM_SCHEMAS]);
  return rows
    .filter((r) => wanted.has(r.Schema!))
    .map((r) => ({
      column: r.ColumnName!,
      type: r.ColumnType!,
      class: r.Class!,
      schema: r.Schema!,
      logicalType: r.LogicalType ?? '',
      values: (r.ListOfValues ?? '')
        .split('|')
        .map((v) => v.trim())
        .filter(Boolean),
      aliased: r.Aliased ?? '',
    }));
}

/** SCHEMA_INFO: the markdown table `| SchemaName | SchemaVersion | SchemaTitle | SchemaLink |`. */
function schemaInfo(dir: string): Record<string, { version: string; title: string; link: string }> {
  const text = readFileSync(join(dir, 'asim-parser-verification-rules.md'), 'utf8');
  const info: Record<string, { version: string; title: string; link: string }> = {};
  for (const m of text.matchAll(/^\| (\w+) \| (\d+(?:\.\d+)+) \| ([^|]+?) \| (https:\/\/\S+) \|$/gm))
    info[m[1]!] = { version: m[2]!, title: m[3]!, link: m[4]! };
  return info;
}

interface ParameterReference {
  vimProcessEventNative: { params: string[] };
  vimFileEvent: { 'vimFileEvent*_params': string[] };
  vimNetworkSession: { vimNetworkSessionNative_params: string[] };
}

/** `name:type=default` → its parts. */
function parameter(spec: string): { name: string; type: string; default: string } {
  const m = /^(\w+):(\w+)=(.*)$/.exec(spec);
  if (!m) throw new Error(`asim-parser-parameters.json: a parameter is not in the name:type=default form`);
  return { name: m[1]!, type: m[2]!, default: m[3]! };
}

function asimParsers(dir: string): Record<string, unknown> {
  const params = JSON.parse(readFileSync(join(dir, 'asim-parser-parameters.json'), 'utf8')) as ParameterReference;
  const info = schemaInfo(dir);
  return {
    schemas: Object.fromEntries(ASIM_SCHEMAS.map((s) => [s, info[s]])),
    aboutAsim: { title: 'ASIM', link: 'https://aka.ms/AboutASIM' },
    lastUpdated: {
      pythonFormat: '%b %d, %Y',
      months: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
    },
    parserVersionPattern: '^\\d+\\.\\d+\\.\\d+$',
    vimParameters: {
      ProcessEvent: params.vimProcessEventNative.params.map(parameter),
      FileEvent: params.vimFileEvent['vimFileEvent*_params'].map(parameter),
      NetworkSession: params.vimNetworkSession.vimNetworkSessionNative_params.map(parameter),
    },
  };
}

interface DetectionReference {
  entityMappingIdentifiers: Record<string, { identifiers: string[]; requiredIdentifiers: string[][] } | string>;
  attackTacticEnum: string[];
  severityEnum: Record<string, number>;
  triggerOperatorEnum: string[];
  eventGroupingAggregationKindEnum: Record<string, number>;
  regexes: Record<string, string>;
}

function analyticsRules(dir: string): Record<string, unknown> {
  const d = JSON.parse(readFileSync(join(dir, 'detection-template-validator.json'), 'utf8')) as DetectionReference;
  return {
    entityMappingIdentifiers: Object.fromEntries(
      Object.entries(d.entityMappingIdentifiers).filter(([k]) => !k.startsWith('_')),
    ),
    tactics: d.attackTacticEnum,
    severities: Object.keys(d.severityEnum),
    triggerOperators: d.triggerOperatorEnum,
    aggregationKinds: Object.keys(d.eventGroupingAggregationKindEnum),
    versionPattern: d.regexes['versionRegex(templateVersion / version)'],
    columnNamePattern: d.regexes['entityMappings.fieldMappings.columnName']!.split(' ')[0],
  };
}

/** Builds the three fixtures from the reference folder. */
export function extractSentinelValidation(referenceDir: string): Record<string, unknown> {
  const dir = join(referenceDir, 'sentinel-validation');
  const $comment =
    'Generated from ../shared/reference/sentinel-validation by `npm run fixtures` (scripts/extractSentinelValidation.ts). Do not edit.';
  return {
    'asim-fields.json': { $comment, fields: asimFields(dir) },
    'asim-parsers.json': { $comment, ...asimParsers(dir) },
    'analytics-rules.json': { $comment, ...analyticsRules(dir) },
  };
}

/** The fixtures as text, by file name. */
export function renderSentinelValidationFixtures(referenceDir: string): Map<string, string> {
  return new Map(
    Object.entries(extractSentinelValidation(referenceDir)).map(([f, v]) => [f, JSON.stringify(v, null, 1) + '\n']),
  );
}

/** Where the fixtures live. */
export const SENTINEL_VALIDATION_FIXTURES = DIR;

/** Writes the fixtures; returns their paths. */
export function writeSentinelValidationFixtures(referenceDir: string): string[] {
  return [...renderSentinelValidationFixtures(referenceDir)].map(([file, text]) => {
    writeFileSync(join(DIR, file), text);
    return join(DIR, file);
  });
}
