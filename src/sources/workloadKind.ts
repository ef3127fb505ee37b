/** Workload kinds as Kubernetes spells them, whatever case the source used. */
const KINDS: Record<string, string> = {
  deployment: 'Deployment',
  replicaset: 'ReplicaSet',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
  job: 'Job',
  cronjob: 'CronJob',
  pod: 'Pod',
  replicationcontroller: 'ReplicationController',
};

export function normaliseWorkloadKind(kind: string | undefined): string | undefined {
  if (!kind) return undefined;
  return KINDS[kind.toLowerCase()] ?? kind;
}
