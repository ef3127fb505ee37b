/**
 * AKS control-plane audit logs (`kube-audit`, `kube-audit-admin`) from an AKS Diagnostic Setting on
 * Event Hubs (reference/cloud-sources.md §1): a resource-log record whose `properties.log` is the
 * Kubernetes `audit.k8s.io/v1` Event as a JSON string. `kube-audit-admin` is `kube-audit` without
 * get and list, so a write wired in both categories arrives twice with one `auditID`: the event id
 * is the audit id, and the stages downstream keep one copy.
 *
 * Stages: `RequestReceived` is the same request again before it ran (dropped as a duplicate,
 * counted); `ResponseStarted` (long-running: watch, exec, attach, port-forward), `ResponseComplete`
 * and `Panic` are kept, all under the audit id.
 *
 * The cluster comes from the resource id: the name configured for it (`cloud.clusterNames`, so it
 * meets the cluster's sensor events under one name), else the resource's name lower-cased (Azure
 * upper-cases the id; AKS names are case-insensitive); without a managed-cluster id, the input's
 * configured cluster. Other AKS categories routed to the same
 * hub (kube-apiserver, guard, …) carry klog text and are filtered, counted.
 */
import type { CloudInfo, RuntimeEvent } from '../../model/event.ts';
import { PermanentError } from '../../errors.ts';
import { describeErrors, validator } from '../../schemas.ts';
import { normaliseIp, parseTime } from '../../transforms/normalise.ts';
import { exceedsDepth } from '../envelope.ts';
import {
  arr,
  compact,
  obj,
  result,
  str,
  type DecodeContext,
  type DecodeResult,
  type Json,
  type Source,
} from '../source.ts';
import { parseResourceId, resourceLogFields } from './resourceLog.ts';

/** The audit categories decoded. */
const AUDIT_CATEGORIES = new Set(['kube-audit', 'kube-audit-admin']);

/** AKS resource-log categories that are not audit events (klog text): recognised so they are filtered, not dead-lettered. */
const OTHER_CATEGORIES = new Set([
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'cluster-autoscaler',
  'cloud-controller-manager',
  'guard',
  'csi-azuredisk-controller',
  'csi-azurefile-controller',
  'csi-snapshot-controller',
]);

/**
 * The cluster a record names: the one configured for its AKS resource (`cloud.clusterNames`, by id or
 * name), else the resource's name lower-cased, else (no managed-cluster id) the input's cluster.
 */
function clusterOf(resourceId: string | undefined, ctx: DecodeContext): string {
  const resource = parseResourceId(resourceId);
  if (resource.type !== 'microsoft.containerservice/managedclusters' || !resource.name) return ctx.cluster;
  const names = ctx.aksClusterNames;
  return names?.[resourceId!.toLowerCase()] ?? names?.[resource.name] ?? resource.name;
}

/** The inner event is parsed from a string the envelope's depth scan never saw: it gets its own. */
const MAX_INNER_DEPTH = 64;

/** `authentication.kubernetes.io/…` keys of `user.extra` on bound service-account tokens (reference §1.4). */
const EXTRA = {
  podName: 'authentication.kubernetes.io/pod-name',
  podUid: 'authentication.kubernetes.io/pod-uid',
  nodeName: 'authentication.kubernetes.io/node-name',
  credentialId: 'authentication.kubernetes.io/credential-id',
} as const;

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

function isAksCategory(category: string | undefined): boolean {
  return category !== undefined && (AUDIT_CATEGORIES.has(category) || OTHER_CATEGORIES.has(category));
}

export const aksAudit: Source = {
  name: 'aks',

  detect(record) {
    const f = resourceLogFields(record);
    if (!isAksCategory(f.category)) return false;
    // A category name alone is a weak claim: the record must come from a managed cluster, or carry
    // the log line every AKS control-plane record has.
    return (
      (f.resourceId !== undefined &&
        /\/providers\/microsoft\.containerservice\/managedclusters\//i.test(f.resourceId)) ||
      typeof f.properties?.log === 'string'
    );
  },

  decode(record, ctx): DecodeResult {
    const f = resourceLogFields(record);
    const category = f.category!;
    if (!AUDIT_CATEGORIES.has(category))
      return result([], [{ reason: 'filtered', detail: `AKS ${category} logs are component logs, not audit events` }]);
    const view = { time: f.time, resourceId: f.resourceId, category, properties: f.properties };
    const validate = validator('sources', 'aks-kube-audit.schema.json');
    if (!validate(view))
      throw new PermanentError(
        `AKS ${category} record does not match the resource-log format: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    const audit = parseAuditEvent(String(f.properties!.log), category);
    if ('drop' in audit) return result([], [audit.drop]);
    const a = audit.event;
    if (a.stage === 'RequestReceived')
      return result(
        [],
        [{ reason: 'duplicate', detail: 'RequestReceived stage: the same request is logged again when it completes' }],
      );

    const time = parseTime(a.stageTimestamp) ?? parseTime(a.requestReceivedTimestamp) ?? parseTime(f.time);
    if (time === undefined)
      throw new PermanentError(`AKS ${category} event has no usable stageTimestamp or time`, 'schema-mismatch');
    const auditId = String(a.auditID);
    const event: RuntimeEvent = {
      id: `aks:${auditId}`,
      layer: 'cloud',
      kind: 'cloud.api-request',
      time,
      source: { product: 'aks', format: `aks.${category}`, nativeId: auditId },
      workload: { cluster: clusterOf(f.resourceId, ctx) },
      cloud: cloudInfo(a, f.resourceId, parseResourceId(f.resourceId).subscriptionId),
    };
    return result([event]);
  },
};

/** The inner audit event; klog text (another component's line) is filtered, cut-off or foreign JSON rejected. */
function parseAuditEvent(
  log: string,
  category: string,
): { event: Json } | { drop: { reason: 'filtered'; detail: string } } {
  const text = log.charCodeAt(0) === 0xfeff ? log.slice(1).trim() : log.trim();
  if (!text.startsWith('{'))
    return {
      drop: { reason: 'filtered', detail: `AKS ${category} record whose log is not an audit event (klog text)` },
    };
  if (exceedsDepth(text, MAX_INNER_DEPTH))
    throw new PermanentError(`AKS ${category} audit event nests deeper than ${MAX_INNER_DEPTH} levels`, 'too-deep');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PermanentError(
      `AKS ${category} properties.log is not a whole JSON audit event (cut off?)`,
      'schema-mismatch',
    );
  }
  const validate = validator('sources', 'k8s-audit-event.schema.json');
  if (!validate(parsed))
    throw new PermanentError(
      `AKS ${category} properties.log is not a Kubernetes audit event: ${describeErrors(validate.errors)}`,
      'schema-mismatch',
    );
  return { event: parsed as Json };
}

function cloudInfo(a: Json, resourceId: string | undefined, subscriptionId: string | undefined): CloudInfo {
  const user = obj(a.user) ?? {};
  const username = str(user.username) ?? 'unknown';
  const extra = obj(user.extra) ?? {};
  const first = (key: string) => str(arr(extra[key])[0]);
  const sa = SERVICE_ACCOUNT.exec(username);
  // sourceIPs: X-Forwarded-For addresses, then X-Real-Ip, then the connection's remote address.
  // Only the last cannot be set by the client (types.go), so it is the caller's address.
  const sourceIps = arr(a.sourceIPs)
    .map(normaliseIp)
    .filter((ip): ip is string => ip !== undefined);
  const ref = obj(a.objectRef);
  const resource = str(ref?.resource);
  const subresource = str(ref?.subresource);
  const code = typeof obj(a.responseStatus)?.code === 'number' ? (obj(a.responseStatus)!.code as number) : undefined;
  const decision = str(obj(a.annotations)?.['authorization.k8s.io/decision']);
  return compact<CloudInfo>({
    principal: username,
    principalType: sa ? 'service-account' : username.startsWith('system:node:') ? 'node' : 'user',
    serviceAccountNamespace: sa?.[1],
    serviceAccountName: sa?.[2],
    // Bound-token extras: documented and seen in non-AKS audit events, not yet in a public AKS
    // record (reference §1.4). Absent, the request still names its service account.
    boundPod: first(EXTRA.podName),
    boundPodUid: first(EXTRA.podUid),
    boundNode: first(EXTRA.nodeName),
    // credential-id (`JTI=…`, `X509SHA256=…`) exists in newer Kubernetes only; absent, no credential is named.
    credentialId: first(EXTRA.credentialId),
    impersonated: str(obj(a.impersonatedUser)?.username),
    sourceIp: sourceIps.at(-1),
    sourceIps: sourceIps.length ? sourceIps : undefined,
    operation: String(a.verb),
    // A request without objectRef is a non-resource URL (/healthz, /apis): its path, never its query.
    resource: resource ? (subresource ? `${resource}/${subresource}` : resource) : str(a.requestURI)?.split('?')[0],
    namespace: str(ref?.namespace),
    name: str(ref?.name),
    resourceId: resourceId?.toLowerCase(),
    // An explicit deny is a failure whatever the code; otherwise the HTTP status decides.
    result: decision === 'forbid' || (code !== undefined && code >= 400) ? 'failure' : 'success',
    resultCode: code !== undefined ? String(code) : undefined,
    userAgent: str(a.userAgent),
    subscriptionId,
  });
}
