/**
 * Every KQL query we ship (parsers, analytics rules, hunting queries, workbook, DCR
 * transformations) parses and binds against schemas/tables, the Sentinel tables it reads and our
 * parsers; every rule file follows Sentinel's documented limits.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validator, describeErrors } from '../../src/schemas.ts';
import { tableSchemas } from '../../src/sinks/tables.ts';
import { analyse, loadYaml, parsers, ROOT, withSource } from '../helpers/kusto.ts';

type Rule = {
  id: string;
  name: string;
  kind: string;
  query: string;
  queryFrequency?: string;
  queryPeriod?: string;
  entityMappings?: { entityType: string; fieldMappings: { identifier: string; columnName: string }[] }[];
  customDetails?: Record<string, string>;
  alertDetailsOverride?: Record<string, string>;
  incidentConfiguration?: { groupingConfiguration?: { groupByCustomDetails?: string[] } };
};
const rules = loadYaml<Rule>('kql/rules');
const hunting = loadYaml<{ id: string; query: string }>('kql/hunting');

const minutes = (d: string) => Number(d.slice(0, -1)) * { m: 1, h: 60, d: 1440 }[d.slice(-1) as 'm' | 'h' | 'd'];

describe('the KQL checker', () => {
  it('fails a deliberately broken query (unknown column, bad syntax)', () => {
    expect(analyse('CausewayStories_CL | where NoSuchColumn > 1').errors[0]).toMatch(/NoSuchColumn/);
    expect(analyse('CausewayStories_CL | summarize by').errors.length).toBeGreaterThan(0);
    expect(analyse('CausewayStorie_CL | take 1').errors[0]).toMatch(/CausewayStorie_CL/);
  });
});

describe('parsers', () => {
  for (const p of parsers()) {
    it(`${p.file} binds with zero errors`, () => {
      const declared = p.params
        .map((x) => `let ${x.Name} = ${x.Type === 'string' ? `'${String(x.Default)}'` : String(x.Default)};`)
        .join('\n');
      expect(analyse(`${declared}\n${p.query}`).errors).toEqual([]);
    });
  }
  it('ASIM parsers follow ASIM naming (ASim… and vim… per schema, with the product name)', () => {
    const names = parsers().map((p) => p.name);
    for (const schema of ['ProcessEvent', 'FileEvent', 'NetworkSession']) {
      expect(names).toContain(`ASim${schema}Causeway`);
      expect(names).toContain(`vim${schema}Causeway`);
      expect(names).toContain(`Im_${schema}Custom`);
    }
  });
});

describe('analytics rules', () => {
  const validate = validator('sentinel', 'analytics-rule.schema.json');
  const ids = new Map<string, string>();

  for (const { file, doc } of rules) {
    it(`${file} follows Sentinel's rule schema and limits`, () => {
      expect(validate(doc), describeErrors(validate.errors, 10)).toBe(true);
      if (doc.kind === 'Scheduled') {
        const f = minutes(doc.queryFrequency!);
        const p = minutes(doc.queryPeriod!);
        expect(f).toBeGreaterThanOrEqual(5);
        expect(p).toBeLessThanOrEqual(14 * 1440);
        expect(p).toBeGreaterThanOrEqual(f);
      }
    });

    it(`${file} query binds, and every mapped column is in its result`, () => {
      const { errors, columns } = analyse(doc.query);
      expect(errors).toEqual([]);
      const used = [
        ...(doc.entityMappings ?? []).flatMap((m) => m.fieldMappings.map((f) => f.columnName)),
        ...Object.values(doc.customDetails ?? {}),
        ...[
          ...Object.values(doc.alertDetailsOverride ?? {})
            .join(' ')
            .matchAll(/\{\{(\w+)\}\}/g),
        ].map((m) => m[1]!),
        ...(['alertSeverityColumnName', 'alertTacticsColumnName'] as const)
          .map((k) => doc.alertDetailsOverride?.[k])
          .filter((v): v is string => !!v),
      ];
      for (const c of used) expect(columns, `${c} in ${file}`).toContain(c);
      for (const k of doc.incidentConfiguration?.groupingConfiguration?.groupByCustomDetails ?? [])
        expect(Object.keys(doc.customDetails ?? {})).toContain(k);
    });
  }

  it('ids are GUIDs, unique across kql/', () => {
    for (const { file, doc } of [...rules, ...hunting]) {
      expect(ids.has(doc.id), `${doc.id} in ${file} and ${ids.get(doc.id)}`).toBe(false);
      ids.set(doc.id, file);
    }
  });

  it('the story rule raises one incident per StoryId, in Scheduled and NRT variants, mapping no workload as an account', () => {
    const story = rules.filter((r) => r.doc.customDetails?.StoryId && r.doc.name.startsWith('Causeway attack story'));
    expect(story.map((r) => r.doc.kind).sort()).toEqual(['NRT', 'Scheduled']);
    for (const { doc } of story) {
      expect(doc.incidentConfiguration?.groupingConfiguration?.groupByCustomDetails).toEqual(['StoryId']);
      expect(Object.keys(doc.customDetails!)).toEqual(
        expect.arrayContaining(['StoryId', 'RiskScore', 'Chain', 'AtlasTechniques']),
      );
      expect(doc.entityMappings!.map((m) => m.entityType)).toEqual([
        'Host',
        'Process',
        'File',
        'IP',
        'DNS',
        'AzureResource',
        'CloudApplication',
      ]);
    }
    // A workload (cluster/namespace/kind/name) is not an account, and stories know no Kubernetes
    // service account: no rule maps an Account entity from a workload.
    for (const { file, doc } of rules)
      for (const m of doc.entityMappings ?? [])
        if (m.entityType === 'Account')
          expect(m.fieldMappings.map((f) => f.columnName).join(), file).not.toMatch(/Workload/);
    expect(rules.length).toBeGreaterThanOrEqual(6);
  });

  it('a rule with four placeholders in its title or an over-long custom detail key is refused by the schema', () => {
    const base = rules[0]!.doc;
    expect(validate({ ...base, alertDetailsOverride: { alertDisplayNameFormat: '{{A}} {{B}} {{C}} {{D}}' } })).toBe(
      false,
    );
    expect(validate({ ...base, customDetails: { ThisKeyIsLongerThanTwenty: 'StoryId' } })).toBe(false);
    expect(
      validate({
        ...base,
        entityMappings: [{ entityType: 'IP', fieldMappings: [{ identifier: 'HostName', columnName: 'x' }] }],
      }),
    ).toBe(false);
  });
});

describe('hunting queries', () => {
  const validate = validator('sentinel', 'hunting-query.schema.json');
  it('there are at least eight', () => expect(hunting.length).toBeGreaterThanOrEqual(8));
  for (const { file, doc } of hunting) {
    it(`${file} follows the schema and binds with zero errors`, () => {
      expect(validate(doc), describeErrors(validate.errors)).toBe(true);
      expect(analyse(doc.query).errors).toEqual([]);
    });
  }
});

describe('workbook', () => {
  const wb = JSON.parse(readFileSync(ROOT + 'kql/workbooks/CausewayAttackStories.json', 'utf8')) as {
    items: { type: number; name: string; content: { query?: string; parameters?: { query?: string }[] } }[];
  };
  const queries = [
    ...wb.items.filter((i) => i.type === 3).map((i) => [i.name, i.content.query!] as const),
    ...wb.items.flatMap((i) =>
      (i.content.parameters ?? []).filter((p) => p.query).map((p) => ['parameter', p.query!] as const),
    ),
  ];
  it('has the story overview, timeline, per-agent tool graph and pipeline health', () => {
    expect(wb.items.map((i) => i.name)).toEqual(
      expect.arrayContaining([
        'stories-table',
        'story-timeline',
        'agent-tool-graph',
        'dead-letters',
        'upstream-loss',
        'ingestion-lag',
      ]),
    );
  });
  for (const [name, q] of queries) {
    it(`${name} binds with zero errors (workbook parameters substituted)`, () => {
      const bound = q
        .replaceAll('{TimeRange}', '> ago(1d)')
        .replaceAll('{StoryId}', '00000000-0000-0000-0000-000000000000');
      expect(analyse(bound).errors).toEqual([]);
    });
  }
});

describe('DCR transformations', () => {
  it('the per-table transformation binds over each stream and keeps every column', () => {
    for (const t of tableSchemas().values()) {
      const { errors, columns } = analyse(
        readFileSync(ROOT + 'infra/dcr-transform.kql', 'utf8'),
        withSource(t.columns.map((c) => [c.name, c.type])),
      );
      expect(errors, t.name).toEqual([]);
      expect(columns).toEqual(t.columns.map((c) => c.name));
    }
  });
});
