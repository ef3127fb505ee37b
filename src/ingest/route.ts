/**
 * Routing (DESIGN §2): events with a workload identity go to the workload stage keyed by
 * workload (cluster/namespace/kind/name, falling back to pod, service, container, node), where all
 * replicas of one workload meet. Events that name no workload (Defender for AI alerts, cluster-level
 * alerts) go straight to the story stage as episodes, keyed by cluster, or broadcast when they name
 * no cluster either.
 *
 * Cloud audit events (AKS kube-audit, Entra workload sign-ins, Key Vault AuditEvent) name no pod
 * either: the pod of a bound service-account token is the credential's, not where the request came
 * from. They go to the story stage like prompt alerts, where the edges that continue a story after
 * the exfiltration join them (`credential-used`: a token read in pod P, then API requests as P's
 * service account; `identity-used-from-exfil-destination`: a workload identity's token read, then a
 * sign-in from the address that received the data, then its Key Vault operations):
 * - kube-audit requests are keyed by cluster (from the AKS resource id), so they meet the episodes
 *   of that cluster's pods in one story partition;
 * - sign-ins and vault operations name a tenant or a subscription, never a cluster: they are
 *   broadcast, so every story partition, whichever cluster its stories are in, can join them.
 * Only requests made with a workload's credential can continue a story: requests by service accounts
 * outside kube-system. The rest of kube-audit (nodes, the control plane's own components and
 * kube-system controllers, people) is most of its volume and would crowd the story partitions'
 * bounded episode index out of real episodes; it is dropped here, counted as `filtered`, after the
 * feed tracker has counted it (a quiet cluster still proves its kube-audit feed is alive).
 */
import type { RuntimeEvent } from '../model/event.ts';
import { workloadKey } from '../model/workloadKey.ts';
import { BROADCAST } from '../model/episode.ts';
import { fnv1a32 } from '../common/hash.ts';

export type Route =
  | { to: 'workload'; key: string }
  | { to: 'story'; key: string }
  /** Deliberately not forwarded (counted as dropped, `filtered`). */
  | { to: 'none'; detail: string };

/** Namespaces whose service accounts are the cluster's own controllers and add-ons, not workloads. */
const SYSTEM_NAMESPACES = new Set(['kube-system']);

export function route(event: RuntimeEvent): Route {
  if (event.layer === 'cloud') return cloudRoute(event);
  // A prompt alert is about an application, never a pod: it joins stories in the story stage.
  const key = event.layer === 'prompt' ? undefined : workloadKey(event.workload);
  if (key) return { to: 'workload', key };
  return { to: 'story', key: event.workload.cluster ?? BROADCAST };
}

function cloudRoute(event: RuntimeEvent): Route {
  const c = event.cloud;
  if (event.source.product === 'aks') {
    if (c?.principalType !== 'service-account')
      return { to: 'none', detail: 'a kube-audit request made without a service-account credential' };
    if (SYSTEM_NAMESPACES.has(c.serviceAccountNamespace ?? ''))
      return { to: 'none', detail: 'a kube-audit request by a kube-system service account' };
  }
  return { to: 'story', key: event.workload.cluster ?? BROADCAST };
}

/** The partition a key lands on, the same in every host. */
export function partitionOf(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}
