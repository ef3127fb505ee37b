/**
 * Defender for Containers alerts the families raise: node alerts about a process (K8S.NODE_*,
 * naming pod, container, hex pid and command line) and control-plane alerts from the audit log
 * (K8S_*, naming the pod and service account), per reference/defender-formats.md §3.
 */
import type { Label } from '../labels.ts';
import type { Sim } from '../sim.ts';
import { containerEntities, systemAlertId, type DefenderShape } from '../wire/defender.ts';
import type { Pod, Proc } from '../world.ts';

const CONTAINER_ALERTS = {
  'K8S.NODE_ReverseShell': {
    name: 'Potential reverse shell detected',
    intent: 'Exfiltration, Exploitation',
    techniques: ['T1059'],
  },
  'K8S.NODE_ImdsCall': {
    name: 'Access to cloud metadata service detected',
    intent: 'CredentialAccess',
    techniques: ['T1552'],
  },
  'K8S.NODE_CryptoCoinMinerExecution': {
    name: 'Potential crypto coin miner started',
    intent: 'Execution',
    techniques: ['T1496'],
  },
  'K8S.NODE_DownloadAndRunCombo': {
    name: 'Suspicious Download Then Run Activity',
    intent: 'Execution, CommandAndControl, Exploitation',
    techniques: ['T1105'],
  },
  'K8S.NODE_SuspectDownload': {
    name: 'Detected file download from a known malicious source',
    intent: 'PrivilegeEscalation, Execution, Exfiltration, CommandAndControl',
    techniques: ['T1105'],
  },
  'K8S.NODE_KubernetesAPI': {
    name: 'Suspicious request to Kubernetes API',
    intent: 'LateralMovement',
    techniques: ['T1613'],
  },
} as const;

/** A Defender for Containers alert about process `p` (pod, container, hex pid, command line). */
export function defenderContainerAlert(
  sim: Sim,
  type: keyof typeof CONTAINER_ALERTS,
  p: Proc,
  at: number,
  label: Label,
  options: { ips?: string[]; shape?: DefenderShape; delayMs?: number; severity?: 'Low' | 'Medium' | 'High' } = {},
): void {
  const r = sim.rng;
  const def = CONTAINER_ALERTS[type];
  const commandLine = `${p.binary.split('/').pop()} ${p.args}`.trim();
  sim.defender(
    {
      alertType: type,
      displayName: def.name,
      description: `Analysis of processes running within container '${p.pod.container}' in pod '${p.pod.name}' detected ${def.name.toLowerCase()}.`,
      severity: options.severity ?? 'Medium',
      intent: def.intent,
      techniques: [...def.techniques],
      start: at,
      generated: at + r.int(1, 8) * 60_000,
      systemAlertId: systemAlertId(r),
      productComponent: 'Containers',
      resourceId: sim.cluster.resourceId,
      compromisedEntity: sim.cluster.name,
      entities: containerEntities(p, r, options.ips),
      extended: {
        'Suspicious Process': p.binary,
        'Suspicious Command Line': commandLine,
        'Suspicious Process Id': `0x${p.pid.toString(16)}`,
        ...(p.parent && p.parent !== p.pod.shim ? { 'Parent Process': p.parent.binary } : {}),
        'Container Name': p.pod.container,
        'Pod Name': p.pod.name,
        Namespace: p.pod.namespace,
        resourceType: 'Kubernetes Service',
        killChainIntent: def.intent.split(',')[0]!,
      },
    },
    label,
    options.shape ?? sim.defenderShape(),
    options.delayMs,
  );
}

/**
 * A Defender for Containers control-plane alert (from the Kubernetes audit log): it names the
 * cluster, namespace, pod and service account, never a process.
 */
export function defenderControlPlaneAlert(sim: Sim, pod: Pod, at: number, label: Label, operation: string): void {
  const r = sim.rng;
  const account = `system:serviceaccount:${pod.namespace}:${pod.workload}`;
  sim.defender(
    {
      alertType: 'K8S_ServiceAccountRareOperation',
      displayName: 'Abnormal Kubernetes service account operation detected',
      description: `Kubernetes audit log analysis detected that service account ${account} performed an operation it rarely performs (${operation}).`,
      severity: 'Medium',
      intent: 'LateralMovement, CredentialAccess',
      techniques: ['T1528'],
      start: at,
      generated: at + r.int(3, 15) * 60_000,
      systemAlertId: systemAlertId(r),
      productComponent: 'Containers',
      resourceId: sim.cluster.resourceId,
      compromisedEntity: sim.cluster.name,
      entities: [
        {
          $id: '2',
          ResourceId: sim.cluster.resourceId,
          ResourceType: 'Kubernetes Service',
          ResourceName: sim.cluster.name,
          Asset: true,
          Type: 'azure-resource',
        },
        { $id: '3', CloudResource: { $ref: '2' }, Asset: true, Type: 'K8s-cluster' },
        { $id: '4', Name: pod.namespace, Cluster: { $ref: '3' }, Asset: true, Type: 'K8s-namespace' },
        { $id: '5', Name: pod.name, Namespace: { $ref: '4' }, Asset: true, Type: 'K8s-pod' },
        { $id: '6', Name: account, Asset: false, Type: 'account' },
      ],
      extended: {
        'Service account': account,
        Operation: operation,
        Namespace: pod.namespace,
        resourceType: 'Kubernetes Service',
      },
    },
    label,
    sim.defenderShape(),
  );
}
