/**
 * Entra sign-ins of workload identities (`ServicePrincipalSignInLogs`, `ManagedIdentitySignInLogs`)
 * from a tenant-level Entra Diagnostic Setting on Event Hubs (reference/cloud-sources.md §2). One
 * record is one token issued (or refused) to an application or managed identity: who (app id,
 * service principal id and name), from where (`ipAddress`; empty for managed identities, whose
 * tokens come from the platform's endpoint), for which resource, with which credential, and how it
 * ended (`status.errorCode`, 0 = success).
 *
 * Every other category of the same Diagnostic Setting (interactive and non-interactive user
 * sign-ins, audit logs, …) is recognised by its tenant resource id and filtered, counted.
 */
import type { CloudInfo, RuntimeEvent } from '../../model/event.ts';
import { PermanentError } from '../../errors.ts';
import { describeErrors, validator } from '../../schemas.ts';
import { normaliseIp, parseTime } from '../../transforms/normalise.ts';
import { compact, num, obj, result, str, type DecodeResult, type Json, type Source } from '../source.ts';
import { parseResourceId, resourceLogFields } from './resourceLog.ts';

const WORKLOAD_CATEGORIES: Record<string, CloudInfo['principalType']> = {
  ServicePrincipalSignInLogs: 'service-principal',
  ManagedIdentitySignInLogs: 'managed-identity',
};

const TENANT_RESOURCE = /^\/tenants\/[^/]+\/providers\/microsoft\.aadiam/i;

export const entraSignIn: Source = {
  name: 'entra',

  detect(record) {
    const f = resourceLogFields(record);
    if (f.category === undefined) return false;
    return (f.resourceId !== undefined && TENANT_RESOURCE.test(f.resourceId)) || f.category in WORKLOAD_CATEGORIES;
  },

  decode(record): DecodeResult {
    const f = resourceLogFields(record);
    const category = f.category!;
    const principalType = WORKLOAD_CATEGORIES[category];
    if (!principalType)
      return result([], [{ reason: 'filtered', detail: `Entra ${category} is not a workload-identity sign-in` }]);
    const view = {
      time: f.time,
      resourceId: f.resourceId,
      category,
      tenantId: f.tenantId,
      resultType: f.resultType,
      callerIpAddress: f.callerIpAddress,
      correlationId: f.correlationId,
      properties: f.properties,
    };
    const validate = validator('sources', 'entra-signin.schema.json');
    if (!validate(compact(view)))
      throw new PermanentError(
        `Entra ${category} record does not match the sign-in log format: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    const p = f.properties!;
    const time = parseTime(f.time) ?? parseTime(p.createdDateTime);
    if (time === undefined) throw new PermanentError(`Entra ${category} record has no usable time`, 'schema-mismatch');
    const nativeId = str(p.id) ?? `${f.correlationId ?? str(p.correlationId) ?? '-'}:${time}`;
    const event: RuntimeEvent = {
      id: `entra:${nativeId}`,
      layer: 'cloud',
      kind: 'cloud.sign-in',
      time,
      source: { product: 'entra', format: `entra.${category}`, nativeId },
      // A sign-in names a tenant, never a cluster: the event is broadcast to every story partition.
      workload: {},
      cloud: cloudInfo(p, f, principalType),
    };
    return result([event]);
  },
};

function cloudInfo(
  p: Json,
  f: ReturnType<typeof resourceLogFields>,
  principalType: CloudInfo['principalType'],
): CloudInfo {
  const appId = str(p.appId)?.toLowerCase();
  const servicePrincipalId = str(p.servicePrincipalId)?.toLowerCase();
  const msi = obj(p.managedServiceIdentity);
  const errorCode = num(obj(p.status)?.errorCode) ?? num(f.resultType);
  return compact<CloudInfo>({
    principal: str(p.servicePrincipalName) ?? appId ?? servicePrincipalId ?? 'unknown',
    principalType,
    principalId: servicePrincipalId,
    appId,
    credentialType: credentialType(p, msi),
    // The credential that was presented: a federated credential (workload identity), the federated
    // token of a managed identity, or the key id of a client secret or certificate.
    credentialId: str(p.federatedCredentialId) ?? str(msi?.federatedTokenId) ?? str(p.servicePrincipalCredentialKeyId),
    // `ipAddress` in properties; the envelope's `callerIpAddress` carries the same for service
    // principals. Both are empty for managed identities (their tokens come from the platform).
    sourceIp: normaliseIp(p.ipAddress) ?? normaliseIp(f.callerIpAddress),
    operation: 'sign-in',
    resource: str(p.resourceDisplayName),
    resourceAppId: str(p.resourceId)?.toLowerCase(),
    result: errorCode === 0 ? 'success' : 'failure',
    resultCode: errorCode !== undefined ? String(errorCode) : f.resultType,
    correlationId: f.correlationId ?? str(p.correlationId),
    tenantId: (f.tenantId ?? parseResourceId(f.resourceId).tenantId)?.toLowerCase(),
  });
}

/**
 * `clientCredentialType` is documented (Graph signIn: clientSecret, certificate, clientAssertion,
 * federatedIdentityCredential, managedIdentity) but absent from every public Event Hubs record found
 * (reference §2.1-2.2). Without it: a `federatedCredentialId`, or a managed identity's
 * `federatedTokenId`, means a federated credential (an AKS workload-identity token exchanged);
 * otherwise the credential type is not named (a key id alone does not say secret or certificate).
 */
function credentialType(p: Json, msi: Json | undefined): string | undefined {
  return (
    str(p.clientCredentialType) ??
    (str(p.federatedCredentialId) || str(msi?.federatedTokenId) ? 'federatedIdentityCredential' : undefined)
  );
}
