/**
 * Key Vault `AuditEvent` resource logs from a vault's Diagnostic Setting on Event Hubs
 * (reference/cloud-sources.md §3): one record per REST call to the vault, with the operation
 * (`SecretGet`, `KeyDecrypt`, `VaultGet`, …), the caller's address and token claims, the object
 * (`properties.id`, else the request URI) and the result.
 *
 * Operations on secrets, keys and certificates are `cloud.secret-access`; the vault's own operations
 * (`Vault*`, `Authentication`) are `cloud.api-request`. A record carries no id of its own
 * (`correlationId` is an optional client GUID, often empty), so the event id is a hash of what
 * identifies the call.
 */
import type { CloudInfo, RuntimeEvent } from '../../model/event.ts';
import { sha256 } from '../../common/hash.ts';
import { PermanentError } from '../../errors.ts';
import { describeErrors, validator } from '../../schemas.ts';
import { normaliseIp, parseTime } from '../../transforms/normalise.ts';
import { compact, num, obj, result, str, type DecodeResult, type Json, type Source } from '../source.ts';
import { isResourceOfType, parseResourceId, resourceLogFields } from './resourceLog.ts';

const VAULT = 'microsoft.keyvault/vaults';

/** Key Vault categories other than AuditEvent, recognised so they are filtered rather than dead-lettered. */
const OTHER_CATEGORIES = new Set(['AzurePolicyEvaluationDetails']);

/** Claim names: long URIs in older records, short names in newer ones (reference §3). */
const CLAIM = {
  objectId: ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier'],
  appId: ['appid', 'azp'],
  upn: ['upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'unique_name'],
  tenantId: ['tid', 'http://schemas.microsoft.com/identity/claims/tenantid'],
  /** Present in tokens of managed identities (their ARM id). Not seen in the public samples: read when present. */
  managedIdentity: ['xms_mirid'],
} as const;

/** `https://<vault>.vault.azure.net/secrets/<name>/<version>` (or `/secrets?…` for a list) → object type and name. */
const OBJECT_URI =
  /^https:\/\/[^/]+\/(secrets|keys|certificates|deletedsecrets|deletedkeys|deletedcertificates)(?:\/([^/?]+))?/i;

export const keyVaultAudit: Source = {
  name: 'keyvault',

  detect(record) {
    const f = resourceLogFields(record);
    return (
      (f.category === 'AuditEvent' || OTHER_CATEGORIES.has(f.category ?? '')) && isResourceOfType(f.resourceId, VAULT)
    );
  },

  decode(record): DecodeResult {
    const f = resourceLogFields(record);
    if (f.category !== 'AuditEvent')
      return result([], [{ reason: 'filtered', detail: `Key Vault ${f.category} is not an audit event` }]);
    const view = compact({
      time: f.time,
      resourceId: f.resourceId,
      operationName: f.operationName,
      category: f.category,
      resultType: f.resultType,
      resultSignature: f.resultSignature,
      callerIpAddress: f.callerIpAddress,
      correlationId: f.correlationId,
      identity: f.identity,
      properties: f.properties,
    });
    const validate = validator('sources', 'keyvault-audit.schema.json');
    if (!validate(view))
      throw new PermanentError(
        `Key Vault AuditEvent does not match the resource-log format: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    const time = parseTime(f.time);
    if (time === undefined) throw new PermanentError('Key Vault AuditEvent has no usable time', 'schema-mismatch');
    const operation = f.operationName!;
    const claims = obj(f.identity?.claim) ?? {};
    const props = f.properties ?? {};
    const requestUri = str(props.requestUri);
    const nativeId = sha256(
      [
        f.time,
        f.resourceId?.toLowerCase(),
        operation,
        f.callerIpAddress,
        requestUri,
        claim(claims, CLAIM.objectId),
        f.correlationId,
      ].join('\n'),
    ).slice(0, 32);
    const event: RuntimeEvent = {
      id: `keyvault:${nativeId}`,
      layer: 'cloud',
      kind: /^(Secret|Key|Certificate)/.test(operation) ? 'cloud.secret-access' : 'cloud.api-request',
      time,
      source: { product: 'keyvault', format: 'keyvault.AuditEvent', nativeId },
      // A vault names a subscription, never a cluster: the event is broadcast to every story partition.
      workload: {},
      cloud: cloudInfo(f, claims, props, operation),
    };
    return result([event]);
  },
};

function claim(claims: Json, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = str(claims[n]);
    if (v) return v;
  }
  return undefined;
}

function cloudInfo(f: ReturnType<typeof resourceLogFields>, claims: Json, props: Json, operation: string): CloudInfo {
  const vault = parseResourceId(f.resourceId);
  const objectId = claim(claims, CLAIM.objectId)?.toLowerCase();
  const appId = claim(claims, CLAIM.appId)?.toLowerCase();
  const upn = claim(claims, CLAIM.upn);
  const object = OBJECT_URI.exec(str(props.id) ?? '') ?? OBJECT_URI.exec(str(props.requestUri) ?? '');
  const status = num(props.httpStatusCode);
  return compact<CloudInfo>({
    principal: upn ?? appId ?? objectId ?? 'unknown',
    // A user's token has a UPN; an application's has none. The claims do not say whether an
    // application is a managed identity unless `xms_mirid` is present.
    principalType: upn
      ? 'user'
      : claim(claims, CLAIM.managedIdentity)
        ? 'managed-identity'
        : appId || objectId
          ? 'service-principal'
          : 'unknown',
    principalId: objectId,
    appId,
    sourceIp: normaliseIp(f.callerIpAddress),
    operation,
    resource: object ? object[1]!.toLowerCase() : /^Vault/.test(operation) ? 'vault' : undefined,
    name: object?.[2],
    resourceId: f.resourceId?.toLowerCase(),
    // The HTTP status decides; without one, resultType (`Success`); without either, nothing says it failed.
    result: (status !== undefined ? status < 400 : f.resultType === undefined || /^success/i.test(f.resultType))
      ? 'success'
      : 'failure',
    resultCode: status !== undefined ? String(status) : f.resultSignature,
    userAgent: str(props.clientInfo),
    correlationId: f.correlationId,
    tenantId: claim(claims, CLAIM.tenantId)?.toLowerCase(),
    subscriptionId: vault.subscriptionId,
  });
}
