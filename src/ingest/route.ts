/**
 * Routing (DESIGN §2): events with a workload identity go to the workload stage keyed by
 * workload (cluster/namespace/kind/name, falling back to pod, service, container, node), where all
 * replicas of one workload meet. Events that name no workload (Defender for AI alerts, cluster-level
 * alerts) go straight to the story stage as episodes, keyed by cluster, or broadcast when they name
 * no cluster either.
 */
import type { RuntimeEvent } from '../model/event.ts';
import { workloadKey } from '../model/workloadKey.ts';
import { BROADCAST } from '../model/episode.ts';
import { fnv1a32 } from '../common/hash.ts';

export type Route = { to: 'workload'; key: string } | { to: 'story'; key: string };

export function route(event: RuntimeEvent): Route {
  // A prompt alert is about an application, never a pod: it joins stories in the story stage.
  const key = event.layer === 'prompt' ? undefined : workloadKey(event.workload);
  if (key) return { to: 'workload', key };
  return { to: 'story', key: event.workload.cluster ?? BROADCAST };
}

/** The partition a key lands on, the same in every host. */
export function partitionOf(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}
