/**
 * The workload key (DESIGN §2): cluster/namespace/kind/name, falling back to pod, service,
 * container, node. All replicas of one workload, and every product that reports on them, meet
 * under one key.
 */
import type { WorkloadIdentity } from './event.ts';

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
