/**
 * Derives what Bicep loads with loadJsonContent from the single sources of truth: table columns
 * (schemas/tables), analytics rules, hunting queries, parsers and the workbook (kql/). The output is
 * checked in under infra/generated/; `npm run content` rewrites it and a test fails when stale.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoPath } from '../src/repoPath.ts';
import { tableSchemas } from '../src/sinks/tables.ts';

/** Log Analytics table column types (workspaces/tables) and DCR stream types differ in one spelling. */
const TABLE_TYPE: Record<string, string> = {
  datetime: 'dateTime',
  string: 'string',
  int: 'int',
  long: 'long',
  real: 'real',
  boolean: 'boolean',
  dynamic: 'dynamic',
  guid: 'guid',
};
const STREAM_TYPE: Record<string, string> = {
  datetime: 'datetime',
  string: 'string',
  int: 'int',
  long: 'long',
  real: 'real',
  boolean: 'boolean',
  dynamic: 'dynamic',
  guid: 'string',
};

const OPERATORS: Record<string, string> = { gt: 'GreaterThan', lt: 'LessThan', eq: 'Equal', ne: 'NotEqual' };

/**
 * Stands in a rule query for the fixed part of the workbook link (portal URL, workspace and workbook
 * ids), which only the deployment knows: sentinelContent.bicep replaces it.
 */
export const WORKBOOK_LINK_MARKER = '__CAUSEWAY_WORKBOOK_LINK__';

/** `5m` → `PT5M`, `1h` → `PT1H`, `1d` → `P1D`. */
export function isoDuration(d: string): string {
  const n = d.slice(0, -1);
  const unit = d.slice(-1);
  return unit === 'd' ? `P${n}D` : `PT${n}${unit.toUpperCase()}`;
}

function yamlFiles(dir: string): { file: string; doc: Record<string, unknown> }[] {
  return readdirSync(repoPath(dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: f, doc: parseYaml(readFileSync(repoPath(dir, f), 'utf8')) as Record<string, unknown> }));
}

export function generateInfraContent(): Record<string, unknown> {
  const tables = [...tableSchemas().values()].map((t) => ({
    name: t.name,
    description: t.description,
    columns: t.columns.map((c) => ({ name: c.name, type: TABLE_TYPE[c.type], description: c.description })),
    streamColumns: t.columns.map((c) => ({ name: c.name, type: STREAM_TYPE[c.type] })),
  }));
  const rules = yamlFiles('kql/rules').map(({ file, doc: r }) => {
    const common = {
      displayName: r.name,
      description: r.description,
      severity: r.severity,
      enabled: true,
      query: r.query,
      tactics: r.tactics ?? [],
      techniques: r.relevantTechniques ?? [],
      entityMappings: r.entityMappings ?? [],
      customDetails: r.customDetails ?? {},
      alertDetailsOverride: r.alertDetailsOverride,
      incidentConfiguration: r.incidentConfiguration,
      // AlertPerResult (one alert per result row) for Scheduled and NRT alike: without it every row of
      // a run becomes one alert, and one incident per StoryId breaks.
      eventGroupingSettings: r.eventGroupingSettings,
      suppressionDuration: r.suppressionDuration ?? 'PT1H',
      suppressionEnabled: r.suppressionEnabled ?? false,
      // No templateVersion: the service accepts it only together with alertRuleTemplateName (a rule
      // created from a gallery template). The rule's version stays in its YAML.
    };
    const scheduled =
      r.kind === 'Scheduled'
        ? {
            queryFrequency: isoDuration(String(r.queryFrequency)),
            queryPeriod: isoDuration(String(r.queryPeriod)),
            triggerOperator: OPERATORS[String(r.triggerOperator)] ?? r.triggerOperator,
            triggerThreshold: r.triggerThreshold,
          }
        : {};
    return {
      id: String(r.id),
      name: String(r.name),
      file,
      kind: String(r.kind),
      properties: { ...common, ...scheduled },
    };
  });
  // An NRT rule named "<X> (near real time)" is the variant of the Scheduled rule X: deploying it
  // (useNrtStoryRule) leaves X out.
  const scheduledRules = rules.filter((r) => r.kind === 'Scheduled').map(({ name: _name, kind: _kind, ...r }) => r);
  const nrtRules = rules
    .filter((r) => r.kind === 'NRT')
    .map(({ name, kind: _kind, ...r }) => ({
      ...r,
      // null, not absent: the template reads r.variantOf of every NRT rule.
      variantOf: rules.find((x) => x.kind === 'Scheduled' && `${x.name} (near real time)` === name)?.id ?? null,
    }));
  const hunting = yamlFiles('kql/hunting').map(({ file, doc: h }) => ({
    id: h.id,
    file,
    displayName: h.name,
    query: h.query,
    tags: [
      { name: 'description', value: String(h.description).trim() },
      { name: 'tactics', value: (h.tactics as string[]).join(',') },
      { name: 'techniques', value: ((h.relevantTechniques as string[] | undefined) ?? []).join(',') },
    ],
  }));
  const parsers = yamlFiles('kql/parsers').map(({ file, doc: p }) => {
    const params = (p.FunctionParams ?? p.ParserParams ?? []) as { Name: string; Type: string; Default?: unknown }[];
    const name = String(p.FunctionName ?? p.ParserName);
    return {
      file,
      name,
      // Im_<Schema>Custom: the workspace functions Microsoft's built-in ASIM unifying parsers call
      // (Manage ASIM parsers); deployed only when deployAsimCustomUnifyingParsers is set.
      customUnifying: /^Im_\w+Custom$/.test(name),
      displayName: String(
        (p.Function as { Title?: string } | undefined)?.Title ??
          (p.Parser as { Title?: string } | undefined)?.Title ??
          name,
      ),
      query: p.FunctionQuery ?? p.ParserQuery,
      functionParameters: params
        .map(
          (x) =>
            `${x.Name}:${x.Type}${x.Default !== undefined ? `=${x.Type === 'string' ? `'${String(x.Default)}'` : String(x.Default)}` : ''}`,
        )
        .join(', '),
    };
  });
  const workbook = readFileSync(repoPath('kql', 'workbooks', 'CausewayAttackStories.json'), 'utf8');
  return {
    'tables.json': { $comment: 'Generated from schemas/tables by `npm run content`. Do not edit.', tables },
    'rules.json': {
      $comment: 'Generated from kql/rules by `npm run content`. Do not edit.',
      workbookLinkMarker: WORKBOOK_LINK_MARKER,
      scheduled: scheduledRules,
      nrt: nrtRules,
    },
    'hunting.json': { $comment: 'Generated from kql/hunting by `npm run content`. Do not edit.', queries: hunting },
    'parsers.json': { $comment: 'Generated from kql/parsers by `npm run content`. Do not edit.', parsers },
    'workbook.json': {
      $comment: 'Generated from kql/workbooks by `npm run content`. Do not edit.',
      displayName: 'Causeway attack stories',
      serializedData: JSON.stringify(JSON.parse(workbook)),
    },
  };
}

export function renderInfraContent(): Map<string, string> {
  return new Map(
    Object.entries(generateInfraContent()).map(([file, value]) => [file, JSON.stringify(value, null, 2) + '\n']),
  );
}

/** `npm run content`: rewrites infra/generated/. */
export function writeInfraContent(): string[] {
  const written: string[] = [];
  for (const [file, text] of renderInfraContent()) {
    const path = join(repoPath('infra', 'generated'), file);
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}
