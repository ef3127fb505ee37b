/**
 * Cloud audit records as Diagnostic Settings stream them to Event Hubs (test/fixtures/cloud/README.md,
 * reference/cloud-sources.md): an AKS kube-audit record (the audit.k8s.io/v1 Event as a JSON string in
 * `properties.log`, bound-token extras when the cluster adds them), an Entra workload-identity sign-in
 * and a Key Vault AuditEvent. Each builder returns the message body and the label key of the event
 * it decodes into (the decoders' native ids: audit id, sign-in id, Key Vault record id).
 */
import { sha256 } from '../../../src/common/hash.ts';
import { labelKey } from '../labels.ts';

/** A request to the API server made with a service-account token. */
export interface KubeAuditSpec {
  /** ARM id of the managed cluster. */
  clusterResourceId: string;
  auditId: string;
  at: number;
  namespace: string;
  serviceAccount: string;
  /** Bound-token extras: the pod the token was issued for (left out when the cluster does not add them). */
  boundPod?: { name: string; uid: string; node: string };
  sourceIp: string;
  verb: string;
  resource: string;
  subresource?: string;
  objectNamespace?: string;
  name?: string;
  code: number;
  userAgent: string;
}

/** One kube-audit record at ResponseComplete, in its own message. */
export function kubeAudit(s: KubeAuditSpec): { body: string; key: string } {
  const extra: Record<string, string[]> = {};
  if (s.boundPod) {
    extra['authentication.kubernetes.io/pod-name'] = [s.boundPod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [s.boundPod.uid];
    extra['authentication.kubernetes.io/node-name'] = [s.boundPod.node];
  }
  const path = [
    s.objectNamespace ? `/api/v1/namespaces/${s.objectNamespace}` : '/api/v1',
    s.resource,
    s.name,
    s.subresource,
  ]
    .filter(Boolean)
    .join('/');
  const event = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: s.auditId,
    stage: 'ResponseComplete',
    requestURI: path,
    verb: s.verb,
    user: {
      username: `system:serviceaccount:${s.namespace}:${s.serviceAccount}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${s.namespace}`, 'system:authenticated'],
      ...(s.boundPod ? { extra } : {}),
    },
    sourceIPs: [s.sourceIp],
    userAgent: s.userAgent,
    objectRef: {
      resource: s.resource,
      ...(s.subresource ? { subresource: s.subresource } : {}),
      ...(s.objectNamespace ? { namespace: s.objectNamespace } : {}),
      ...(s.name ? { name: s.name } : {}),
      apiVersion: 'v1',
    },
    responseStatus: { metadata: {}, code: s.code },
    requestReceivedTimestamp: new Date(s.at).toISOString(),
    stageTimestamp: new Date(s.at + 9).toISOString(),
    annotations: { 'authorization.k8s.io/decision': s.code === 403 ? 'forbid' : 'allow' },
  };
  const record = {
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    category: 'kube-audit',
    resourceId: s.clusterResourceId.toUpperCase(),
    properties: { log: JSON.stringify(event) + '\n', stream: 'stdout', pod: 'kube-apiserver-5c9f7d8b6-q4wzt' },
    time: new Date(s.at).toISOString(),
  };
  return { body: JSON.stringify({ records: [record] }), key: labelKey('aks', s.auditId) };
}

/** A workload identity's sign-in (a federated credential exchanged for an access token). */
export interface SignInSpec {
  id: string;
  at: number;
  tenant: string;
  appId: string;
  servicePrincipalId: string;
  servicePrincipalName: string;
  ip: string;
  /** Target resource: Key Vault (`cfa8b339-…`) unless given. */
  resource?: { name: string; appId: string };
  correlationId: string;
}

export const KEY_VAULT_RESOURCE = { name: 'Azure Key Vault', appId: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093' };

/** One ServicePrincipalSignInLogs record in its own message. */
export function signIn(s: SignInSpec): { body: string; key: string } {
  const resource = s.resource ?? KEY_VAULT_RESOURCE;
  const record = {
    time: new Date(s.at).toISOString(),
    resourceId: `/tenants/${s.tenant}/providers/Microsoft.aadiam`,
    operationName: 'Sign-in activity',
    operationVersion: '1.0',
    category: 'ServicePrincipalSignInLogs',
    tenantId: s.tenant,
    resultType: '0',
    resultSignature: 'None',
    durationMs: 0,
    callerIpAddress: s.ip,
    correlationId: s.correlationId,
    Level: 4,
    properties: {
      id: s.id,
      createdDateTime: new Date(s.at).toISOString(),
      appId: s.appId,
      ipAddress: s.ip,
      status: { errorCode: 0 },
      correlationId: s.correlationId,
      isInteractive: false,
      resourceDisplayName: resource.name,
      resourceId: resource.appId,
      servicePrincipalName: s.servicePrincipalName,
      servicePrincipalId: s.servicePrincipalId,
      clientCredentialType: 'federatedIdentityCredential',
    },
  };
  return { body: JSON.stringify({ records: [record] }), key: labelKey('entra', s.id) };
}

/** A Key Vault data-plane operation by an application. */
export interface VaultSpec {
  at: number;
  vaultResourceId: string;
  vault: string;
  operation: 'SecretGet' | 'SecretList' | 'KeyDecrypt';
  secret?: string;
  appId: string;
  objectId: string;
  tenant: string;
  ip: string;
  correlationId: string;
}

/** One Key Vault AuditEvent record in its own message. */
export function vaultAudit(s: VaultSpec): { body: string; key: string } {
  const time = new Date(s.at).toISOString();
  const id = `${s.operation}-${time}`;
  const requestUri = `https://${s.vault}.vault.azure.net/secrets${s.secret ? `/${s.secret}/` : ''}?api-version=7.4`;
  const record = {
    time,
    category: 'AuditEvent',
    operationName: s.operation,
    resultType: 'Success',
    correlationId: s.correlationId,
    callerIpAddress: s.ip,
    id,
    identity: { claim: { oid: s.objectId, appid: s.appId, tid: s.tenant } },
    properties: {
      id: `https://${s.vault}.vault.azure.net/secrets${s.secret ? `/${s.secret}` : ''}`,
      clientInfo: 'azsdk-python-keyvault-secrets/4.9.0 Python/3.12.4 (Linux-6.6.0-x86_64)',
      requestUri,
      httpStatusCode: 200,
    },
    resourceId: s.vaultResourceId.toUpperCase(),
    operationVersion: '7.4',
    resultSignature: 'OK',
    durationMs: '7',
  };
  // The decoder's native id: a hash of the fields that tell one operation from another (src/sources/cloud/keyVaultAudit.ts).
  const nativeId = sha256(
    [time, s.vaultResourceId.toLowerCase(), s.operation, s.ip, requestUri, s.objectId, s.correlationId].join('\n'),
  ).slice(0, 32);
  return { body: JSON.stringify({ records: [record] }), key: labelKey('keyvault', nativeId) };
}
