/**
 * The Azure Monitor resource-log envelope shared by AKS kube-audit, Entra sign-ins and Key Vault
 * AuditEvent as Diagnostic Settings stream them to Event Hubs (reference/cloud-sources.md §0): one
 * record per `records[]` element (the envelope itself is split in sources/envelope.ts), with `time`,
 * `resourceId`, `category`, `operationName`, result fields and a category-specific `properties`.
 * Services differ in key case (`Level` vs `level`) and value types (`durationMs` a string in Key
 * Vault, a number in Entra), so keys are read case-insensitively and values by what they hold.
 */
import { ci } from '../defender/caseInsensitive.ts';
import { obj, str, type Json } from '../source.ts';

/** The envelope fields the cloud decoders read, picked case-insensitively from one record. */
export interface ResourceLogFields {
  time: unknown;
  resourceId?: string;
  category?: string;
  operationName?: string;
  resultType?: string;
  resultSignature?: string;
  callerIpAddress?: string;
  correlationId?: string;
  tenantId?: string;
  identity?: Json;
  properties?: Json;
}

/** Reads the envelope fields of a resource-log record (keys in any case). */
export function resourceLogFields(record: Json): ResourceLogFields {
  const v = ci(record);
  return {
    time: v.get('time'),
    resourceId: str(v.get('resourceid')),
    category: str(v.get('category')) ?? str(v.get('type')),
    operationName: str(v.get('operationname')),
    resultType: str(v.get('resulttype')),
    resultSignature: str(v.get('resultsignature')),
    callerIpAddress: str(v.get('calleripaddress')),
    correlationId: str(v.get('correlationid')),
    tenantId: str(v.get('tenantid')),
    identity: obj(v.get('identity')),
    properties: obj(v.get('properties')),
  };
}

/** The parts of an ARM resource id (`/subscriptions/…/resourceGroups/…/providers/<ns>/<type>/<name>`). */
export interface ResourceIdParts {
  subscriptionId?: string;
  resourceGroup?: string;
  /** `microsoft.containerservice/managedclusters`, lower-cased. */
  type?: string;
  /** The resource's name, lower-cased (Azure upper-cases the whole id in diagnostic logs; names are case-insensitive). */
  name?: string;
  /** Tenant of a tenant-level resource (`/tenants/<id>/providers/Microsoft.aadiam`). */
  tenantId?: string;
}

const ARM_ID = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)/i;
const TENANT_ID = /^\/tenants\/([^/]+)\/providers\//i;

/** Splits a resource id into lower-cased parts; unknown shapes give no parts, never a guess. */
export function parseResourceId(id: string | undefined): ResourceIdParts {
  if (!id) return {};
  const arm = ARM_ID.exec(id);
  if (arm)
    return {
      subscriptionId: arm[1]!.toLowerCase(),
      resourceGroup: arm[2]!.toLowerCase(),
      type: arm[3]!.toLowerCase(),
      name: arm[4]!.toLowerCase(),
    };
  const tenant = TENANT_ID.exec(id);
  return tenant ? { tenantId: tenant[1]!.toLowerCase() } : {};
}

/** True when a resource id names a resource of this type (`microsoft.keyvault/vaults`). */
export function isResourceOfType(id: string | undefined, type: string): boolean {
  return id !== undefined && parseResourceId(id).type === type;
}
