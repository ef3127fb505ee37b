/**
 * Routing (DESIGN §2): events with a workload identity go to the workload stage keyed by
 * workload (cluster/namespace/kind/name, falling back to pod, service, container, node), where all
 * replicas of one workload meet. Events that name no workload (Defender for AI alerts, cluster-level
 * alerts) go straight to the story stage as episodes, keyed by cluster, or broadcast when they name
 * no cluster either.
 */
import type { RuntimeEvent, WorkloadIdentity } from '../model/event.ts';
import { BROADCAST } from '../model/episode.ts';

/**
 * Kubernetes names a Deployment's pods `<deployment>-<pod-template-hash>-<suffix>`, both parts in
 * the safe-encoding alphabet (k8s.io/apimachinery rand.SafeEncodeString). Sources that name only
 * the pod (Falco, Tracee, Defender) are routed to the same workload as those that name the
 * Deployment (Tetragon, OTel), so replicas and products meet.
 */
const DEPLOYMENT_POD = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/;

export function deploymentOfPod(pod: string): string | undefined {
  return DEPLOYMENT_POD.exec(pod)?.[1];
}

/** The workload key, or undefined when the event names no workload. */
export function workloadKey(w: WorkloadIdentity): string | undefined {
  const cluster = w.cluster ?? '-';
  if (w.namespace && w.workloadKind && w.workloadName)
    return `${cluster}/${w.namespace}/${w.workloadKind}/${w.workloadName}`;
  const deployment = w.pod ? deploymentOfPod(w.pod) : undefined;
  if (w.namespace && deployment) return `${cluster}/${w.namespace}/Deployment/${deployment}`;
  if (w.namespace && w.pod) return `${cluster}/${w.namespace}/Pod/${w.pod}`;
  if (w.serviceName) return `${cluster}/${w.namespace ?? '-'}/Service/${w.serviceName}`;
  if (w.containerId) return `${cluster}/-/Container/${w.containerId.slice(0, 12)}`;
  if (w.node) return `${cluster}/-/Node/${w.node}`;
  return undefined;
}

export type Route = { to: 'workload'; key: string } | { to: 'story'; key: string };

export function route(event: RuntimeEvent): Route {
  // A prompt alert is about an application, never a pod: it joins stories in the story stage.
  const key = event.layer === 'prompt' ? undefined : workloadKey(event.workload);
  if (key) return { to: 'workload', key };
  return { to: 'story', key: event.workload.cluster ?? BROADCAST };
}

/** FNV-1a: the same key lands on the same partition in every host. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
