/**
 * The Bicep templates type-check against Azure's resource type definitions (bicep-types-az, the data
 * the Bicep compiler itself checks against; committed as test/fixtures/azure-types), parsed with the
 * tree-sitter Bicep grammar. No Bicep compiler runs here, so this is what stands between a template
 * and a first deployment that fails.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AZURE_TYPES_FIXTURE, extractAzureTypes, renderAzureTypesFixture } from '../../scripts/extractAzureTypes.ts';
import { AzureTypes } from '../helpers/bicep/azureTypes.ts';
import type { BicepDiagnostic } from '../helpers/bicep/checkBicep.ts';
import { checkBicep } from '../helpers/bicep/checkBicep.ts';
import { ROOT } from '../helpers/kusto.ts';

const INFRA = ROOT + 'infra/';
const types = AzureTypes.load();
const bicepFiles = ['main.bicep', ...readdirSync(INFRA + 'modules').map((f) => `modules/${f}`)].filter((f) =>
  f.endsWith('.bicep'),
);
const source = (f: string) => readFileSync(INFRA + f, 'utf8');

/** Reads files next to the template; `overrides` plants changed copies by path relative to infra/. */
function reader(overrides: Record<string, string> = {}) {
  return (from: string, relative: string): string | undefined => {
    const path = join(dirname(from), relative);
    if (path in overrides) return overrides[path];
    return existsSync(INFRA + path) ? readFileSync(INFRA + path, 'utf8') : undefined;
  };
}

const show = (ds: BicepDiagnostic[]) => ds.map((d) => `${d.code} ${d.file}:${d.line} ${d.message}`);

async function check(file: string, text = source(file), overrides: Record<string, string> = {}) {
  return checkBicep(file, text, types, reader(overrides));
}

describe('the Bicep templates against Azure resource type data', () => {
  for (const file of bicepFiles)
    it(`${file} has no type errors (API versions, scopes, property names, required properties, enum values)`, async () => {
      expect(show(await check(file))).toEqual([]);
    });

  it('check every resource type and API version the templates declare', () => {
    const declared = bicepFiles.flatMap((f) => [...source(f).matchAll(/^resource \w+ '([^']+)'/gm)].map((m) => m[1]!));
    expect(declared.length).toBeGreaterThan(20);
    for (const t of declared) expect(types.resource(t), t).toBeDefined();
  });
});

describe('the Bicep type check', () => {
  it('refuses a property name that is not in the resource type (BCP037), naming the near miss', async () => {
    const planted = source('modules/storage.bicep').replace('allowSharedKeyAccess:', 'allowSharedKeyAcess:');
    const ds = await check('modules/storage.bicep', planted);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'BCP037', line: planted.split('\n').findIndex((l) => /Acess/.test(l)) + 1 });
    expect(ds[0]!.message).toMatch(
      /properties\.allowSharedKeyAcess is not a property of StorageAccountPropertiesCreateParameters/,
    );
  });

  it('refuses a resource-group-only resource in a subscription-scoped file (BCP135), as defenderExport.bicep had it', async () => {
    const planted = "targetScope = 'subscription'\n" + source('modules/defenderExport.bicep');
    const ds = await check('modules/defenderExport.bicep', planted);
    expect(ds.map((d) => d.code)).toEqual(['BCP135']);
    expect(ds[0]!.message).toMatch(/cannot be deployed at subscription scope .*it can be at: resourceGroup/);
  });

  it('refuses a module deployed at a scope other than its targetScope (BCP134)', async () => {
    const planted = source('main.bicep').replace("name: 'storage'\n", "name: 'storage'\n  scope: subscription()\n");
    expect((await check('main.bicep', planted)).map((d) => d.code)).toEqual(['BCP134']);
  });

  it('refuses an API version without published types (BCP081), a closed enum value (BCP036), a missing required property (BCP035) and a read-only one (BCP073)', async () => {
    const planted = [
      "resource a 'Microsoft.SecurityInsights/dataConnectorDefinitions@2022-09-01-preview' = {",
      "  name: 'x'",
      '}',
      "resource b 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {",
      '  parent: blobs',
      "  name: 'state'",
      '  properties: {',
      "    publicAccess: 'Public'",
      "    lastModifiedTime: 'x'",
      '  }',
      '}',
      "resource c 'Microsoft.Authorization/roleAssignments@2022-04-01' = {",
      "  name: 'r'",
      "  properties: { roleDefinitionId: 'x' }",
      '}',
    ].join('\n');
    const ds = await check('planted.bicep', planted);
    expect(ds.map((d) => `${d.code}:${d.line}`)).toEqual(['BCP081:1', 'BCP036:8', 'BCP073:9', 'BCP035:14']);
    expect(ds[1]!.message).toMatch(/publicAccess expects 'Container' \| 'Blob' \| 'None', the template gives 'Public'/);
    expect(ds[3]!.message).toMatch(/properties\.principalId is required/);
  });

  it('refuses deploying a resource whose type data is for `existing` only (azureTypesSupplement.ts), and checks Diagnostic Settings bodies', async () => {
    const src = source('modules/diagnosticSettings.bicep');
    const deployed = await check(
      'modules/diagnosticSettings.bicep',
      src.replace("existing = if (kind == 'aks')", "= if (kind == 'aks')"),
    );
    expect(deployed.map((d) => d.code)).toEqual(['BCP135']);
    expect(deployed[0]!.message).toMatch(/managedClusters@2024-08-01\) cannot be deployed/);
    const typo = await check(
      'modules/diagnosticSettings.bicep',
      src.replace('eventHubName: eventHubName', 'eventHubNam: eventHubName'),
    );
    expect(typo.map((d) => d.code)).toEqual(['BCP037']);
  });

  it('checks JSON the templates load as it is deployed: a loop over infra/generated items', async () => {
    const tables = JSON.parse(source('generated/tables.json')) as { tables: { columns: object[] }[] };
    tables.tables[0]!.columns[0] = { ...tables.tables[0]!.columns[0], descripton: 'typo' };
    const ds = await check('modules/tables.bicep', source('modules/tables.bicep'), {
      'generated/tables.json': JSON.stringify(tables),
    });
    expect(ds.map((d) => d.code)).toEqual(['BCP037']);
    expect(ds[0]!.message).toMatch(/properties\.schema\.columns\[0\]\.descripton is not a property of Column/);
  });
});

describe('test/fixtures/azure-types', () => {
  const reference = resolve(ROOT, '..', 'shared', 'reference');
  const present = existsSync(join(reference, 'azure-resource-types'));
  if (!present) console.log(`skipped: ${reference} is absent, the committed fixture is used as it is`);
  it.skipIf(!present)(
    'is what scripts/extractAzureTypes.ts extracts from ../shared/reference (npm run fixtures)',
    () => {
      expect(readFileSync(AZURE_TYPES_FIXTURE, 'utf8')).toBe(renderAzureTypesFixture(extractAzureTypes(reference)));
    },
  );
});
