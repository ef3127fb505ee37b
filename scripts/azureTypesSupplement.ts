/**
 * Resource types the Bicep templates need that ../shared/reference/azure-resource-types does not
 * carry, transcribed by hand from Azure's bicep-types-az documentation of the same data (the
 * `types.md` next to each `types.json`; path and commit per entry) and appended to the fixture by
 * extractAzureTypes.ts. Only what the check needs, in bicep-types' own encoding (type entries,
 * `$ref` indices, property flags: 1 required, 2 read-only, 8 deploy-time constant):
 *
 * - `Microsoft.EventHub/namespaces/authorizationRules@2024-01-01`, deployed (the one rule Azure
 *   Monitor Diagnostic Settings send with, modules/cloudAudit.bicep): its writable properties.
 * - `Microsoft.ContainerService/managedClusters@2024-08-01` and `Microsoft.KeyVault/vaults@2023-07-01`,
 *   only ever `existing` (the resources whose Diagnostic Settings modules/diagnosticSettings.bicep
 *   writes): their readable scope and name. They are recorded with no writable scope, so a template
 *   that tried to deploy one (whose body this data does not describe) is refused, not waved through.
 */
import type { TypeFile } from './extractAzureTypes.ts';

const SCOPE_RESOURCE_GROUP = 8;
const BICEP_TYPES = 'Azure/bicep-types-az';

/** Name, id, type and apiVersion, as every resource body has them. */
function resourceBody(
  type: string,
  apiVersion: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown>[] {
  return [
    { $type: 'StringType' },
    { $type: 'StringLiteralType', value: type },
    { $type: 'StringLiteralType', value: apiVersion },
    {
      $type: 'ObjectType',
      name: type,
      properties: {
        id: { type: { $ref: '#/0' }, flags: 10 },
        name: { type: { $ref: '#/0' }, flags: 9 },
        type: { type: { $ref: '#/1' }, flags: 10 },
        apiVersion: { type: { $ref: '#/2' }, flags: 10 },
        ...extra,
      },
    },
  ];
}

function existingOnly(type: string, apiVersion: string, typesMd: string, commit: string): TypeFile {
  return {
    source: `scripts/azureTypesSupplement.ts (existing only; scope and name from ${BICEP_TYPES}@${commit}:${typesMd})`,
    resources: [
      {
        name: `${type}@${apiVersion}`,
        bodyRef: '#/3',
        readableScopes: SCOPE_RESOURCE_GROUP,
        writableScopes: 0,
      },
    ],
    types: resourceBody(type, apiVersion),
  };
}

/** The supplementary type files, appended after the reference's. */
export const AZURE_TYPES_SUPPLEMENT: readonly TypeFile[] = [
  {
    source: `scripts/azureTypesSupplement.ts (transcribed from ${BICEP_TYPES}@30c7a915774d8076a1ccf57cb19be05b239fb66e:generated/eventhub/microsoft.eventhub/2024-01-01/types.md)`,
    resources: [
      {
        name: 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01',
        bodyRef: '#/3',
        readableScopes: SCOPE_RESOURCE_GROUP,
        writableScopes: SCOPE_RESOURCE_GROUP,
      },
    ],
    types: [
      ...resourceBody('Microsoft.EventHub/namespaces/authorizationRules', '2024-01-01', {
        location: { type: { $ref: '#/0' }, flags: 2 },
        properties: { type: { $ref: '#/4' }, flags: 0 },
      }),
      {
        $type: 'ObjectType',
        name: 'AuthorizationRuleProperties',
        properties: { rights: { type: { $ref: '#/9' }, flags: 1 } },
      },
      { $type: 'StringLiteralType', value: 'Listen' },
      { $type: 'StringLiteralType', value: 'Manage' },
      { $type: 'StringLiteralType', value: 'Send' },
      { $type: 'UnionType', elements: [{ $ref: '#/5' }, { $ref: '#/6' }, { $ref: '#/7' }, { $ref: '#/0' }] },
      { $type: 'ArrayType', itemType: { $ref: '#/8' } },
    ],
  },
  existingOnly(
    'Microsoft.ContainerService/managedClusters',
    '2024-08-01',
    'generated/containerservice/microsoft.containerservice/2024-08-01/types.md',
    'c23bbc20998668cb0457ab494597c2ee8cf47417',
  ),
  existingOnly(
    'Microsoft.KeyVault/vaults',
    '2023-07-01',
    'generated/keyvault/microsoft.keyvault/2023-07-01/types.md',
    '326b3589f201db73cbd08e3060f952eb931b487f',
  ),
];
