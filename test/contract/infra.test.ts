/**
 * The Bicep CLI cannot run here, so the templates are checked for what can be checked: the
 * generated JSON they load matches schemas/tables and kql/, modules and parameters line up, role
 * GUIDs are the documented built-in ones, and nothing holds a key or a connection string.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderInfraContent } from '../../src/sentinel/infraContent.ts';
import { tableSchemas } from '../../src/sinks/tables.ts';
import { ROOT } from '../helpers/kusto.ts';

const INFRA = ROOT + 'infra/';
const files = ['main.bicep', ...readdirSync(INFRA + 'modules').map((f) => `modules/${f}`)];
const text = (f: string) => readFileSync(INFRA + f, 'utf8');

interface ParamDecl {
  name: string;
  hasDefault: boolean;
}

function params(source: string): ParamDecl[] {
  return [...source.matchAll(/^param (\w+) [^\n=]+?(=.*)?$/gm)].map((m) => ({
    name: m[1]!,
    hasDefault: m[2] !== undefined,
  }));
}

function modules(source: string): { name: string; path: string; params: string[] }[] {
  return [...source.matchAll(/^module (\w+) '([^']+)' = (?:if \([^\n]*\) )?\{\n([\s\S]*?)\n\}/gm)].map((m) => {
    const body = m[3]!;
    const block = /\n {2}params: \{\n([\s\S]*?)\n {2}\}/.exec('\n' + body)?.[1] ?? '';
    return { name: m[1]!, path: m[2]!, params: [...block.matchAll(/^ {4}(\w+):/gm)].map((p) => p[1]!) };
  });
}

describe('infra/generated', () => {
  it('is up to date with schemas/tables and kql/ (run `npm run content` after changing them)', () => {
    for (const [file, expected] of renderInfraContent())
      expect(readFileSync(INFRA + 'generated/' + file, 'utf8'), file).toBe(expected);
  });

  it('declares every table column with the Log Analytics and DCR type spellings', () => {
    const generated = JSON.parse(readFileSync(INFRA + 'generated/tables.json', 'utf8')) as {
      tables: {
        name: string;
        columns: { name: string; type: string }[];
        streamColumns: { name: string; type: string }[];
      }[];
    };
    for (const t of tableSchemas().values()) {
      const g = generated.tables.find((x) => x.name === t.name)!;
      expect(g.columns.map((c) => c.name)).toEqual(t.columns.map((c) => c.name));
      expect(g.columns.find((c) => c.name === 'TimeGenerated')?.type).toBe('dateTime');
      expect(g.streamColumns.find((c) => c.name === 'TimeGenerated')?.type).toBe('datetime');
    }
  });
});

describe('Bicep templates', () => {
  it('reference modules that exist and pass only parameters those modules declare, including every required one', () => {
    for (const f of files) {
      for (const m of modules(text(f))) {
        const target = join(dirname(f), m.path);
        expect(existsSync(INFRA + target), `${f} → ${m.path}`).toBe(true);
        const declared = params(text(target));
        for (const p of m.params)
          expect(
            declared.map((d) => d.name),
            `${m.name}.${p} in ${target}`,
          ).toContain(p);
        for (const d of declared.filter((x) => !x.hasDefault))
          expect(m.params, `${target} needs ${d.name}`).toContain(d.name);
      }
    }
    expect(modules(text('main.bicep')).map((m) => m.name)).toEqual(
      expect.arrayContaining([
        'logAnalytics',
        'tables',
        'dataCollection',
        'eventHubs',
        'storage',
        'functionApp',
        'rbac',
        'sentinelContent',
        'defenderExport',
      ]),
    );
  });

  it('load generated content that exists', () => {
    for (const f of files)
      for (const m of text(f).matchAll(/load(?:Json|Text)Content\('([^']+)'\)/g))
        expect(existsSync(INFRA + join(dirname(f), m[1]!)), `${f}: ${m[1]}`).toBe(true);
  });

  it('hold no keys, connection strings or listKeys', () => {
    const code = (f: string) => text(f).replace(/\/\/.*$/gm, '');
    for (const f of files)
      expect(code(f), f).not.toMatch(/listKeys|connectionString|SharedAccessKey|AccountKey=|primaryKey|@secure/i);
    expect(text('modules/eventHubs.bicep')).toMatch(/disableLocalAuth: true/);
    expect(text('modules/storage.bicep')).toMatch(/allowSharedKeyAccess: false/);
  });

  it('use the documented built-in role GUIDs, each assignment scoped to one resource', () => {
    const documented: Record<string, string> = {
      eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
      eventHubsDataSender: '2b629674-e913-4c01-ae53-ef4638d8f975',
      monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
      storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
      storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    };
    const rbac = text('modules/rbac.bicep');
    for (const [name, guid] of Object.entries(documented)) expect(rbac).toContain(`${name}: '${guid}'`);
    const assignments = [
      ...rbac.matchAll(/resource \w+ 'Microsoft\.Authorization\/roleAssignments@[^']+' = [\s\S]*?\n(?:\]|\})\n/g),
    ].map((m) => m[0]);
    expect(assignments.length).toBe(4);
    for (const a of assignments) expect(a).toMatch(/scope: (readHubs\[i\]|writeHubs\[i\]|dcr|storage)\n/);
    expect(text('modules/defenderExportRole.bicep')).toContain("'2b629674-e913-4c01-ae53-ef4638d8f975'");
  });

  it('uses identity-based connections only in the Functions app', () => {
    const app = text('modules/functionApp.bicep');
    for (const s of [
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsStorage__credential',
      'EventHubConnection__fullyQualifiedNamespace',
      'EventHubConnection__credential',
    ])
      expect(app).toContain(s);
    expect(app).not.toMatch(/AzureWebJobsStorage'/);
  });
});
