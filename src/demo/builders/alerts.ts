/** Vendor alerts: Defender continuous export, Kubescape RuntimeAlerts, Falcosidekick. */
import { iso, hex, type Proc } from './cast.ts';

export function defenderAlert(spec: {
  alertType: string;
  name: string;
  severity: string;
  start: number;
  generated: number;
  id: string;
  description: string;
  intent: string;
  entities: object[];
  extended: Record<string, string>;
  resourceId: string;
  compromised: string;
  productComponent?: string;
}): string {
  return JSON.stringify({
    VendorName: 'Microsoft',
    AlertType: spec.alertType,
    ProductName: 'Microsoft Defender for Cloud',
    ProductComponentName: spec.productComponent ?? 'AI',
    StartTimeUtc: iso(spec.start).replace(/(\.\d{3})\d+Z/, '$10000Z'),
    EndTimeUtc: iso(spec.start).replace(/(\.\d{3})\d+Z/, '$10000Z'),
    TimeGenerated: iso(spec.generated).replace(/(\.\d{3})\d+Z/, '$10000Z'),
    ProcessingEndTime: iso(spec.generated + 4000).replace(/(\.\d{3})\d+Z/, '$10000Z'),
    Severity: spec.severity,
    Status: 'New',
    ProviderAlertStatus: null,
    ConfidenceLevel: null,
    ConfidenceScore: null,
    IsIncident: false,
    SystemAlertId: spec.id,
    CorrelationKey: null,
    Intent: spec.intent,
    AzureResourceId: spec.resourceId,
    CompromisedEntity: spec.compromised,
    AlertDisplayName: spec.name,
    Description: spec.description,
    Entities: spec.entities,
    ExtendedLinks: [],
    ResourceIdentifiers: [
      {
        $id: '1',
        AzureResourceId: spec.resourceId,
        Type: 'AzureResource',
        AzureResourceTenantId: '72f988bf-0000-0000-0000-2d7cd011db47',
      },
    ],
    RemediationSteps: ['Review the prompts sent by the application and the tools it called.'],
    ExtendedProperties: spec.extended,
    AlertUri: `https://portal.azure.com/#blade/Microsoft_Azure_Security/AlertBlade/alertId/${spec.id}`,
  });
}

/** Kubescape node-agent HTTP exporter body with one alert and its process chain. */
export function kubescapeAlert(spec: {
  ruleId: string;
  name: string;
  severity: number;
  at: number;
  proc: Proc;
  chain: Proc[];
  args: Record<string, unknown>;
  message: string;
}): string {
  const p = spec.proc.pod;
  const node = (procs: Proc[]): object | undefined => {
    const [head, ...rest] = procs;
    if (!head) return undefined;
    const child = node(rest);
    const comm = head.binary.split('/').pop()!;
    return {
      pid: head.pid,
      ppid: head.parent?.pid ?? 0,
      comm,
      cmdline: `${head.binary} ${head.args}`.trim(),
      path: head.binary,
      uid: head.uid ?? 0,
      gid: 0,
      startTime: iso(head.start),
      ...(child ? { childrenMap: { [`${rest[0]!.binary.split('/').pop()}\u241f${rest[0]!.pid}`]: child } } : {}),
    };
  };
  return JSON.stringify({
    kind: 'RuntimeAlerts',
    apiVersion: 'kubescape.io/v1',
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      alerts: [
        {
          alertName: spec.name,
          arguments: spec.args,
          infectedPID: spec.proc.pid,
          severity: spec.severity,
          timestamp: iso(spec.at),
          trace: {},
          uniqueID: hex(`${spec.ruleId}${spec.proc.execId}`, 32),
          profileMetadata: {
            status: 'completed',
            completion: 'complete',
            name: `replicaset-${p.workload}`,
            failOnProfile: true,
            type: 0,
          },
          identifiers: {
            process: { name: spec.proc.binary.split('/').pop(), commandLine: `${spec.proc.binary} ${spec.proc.args}` },
          },
          ruleID: spec.ruleId,
          message: spec.message,
          clusterName: p.cluster,
          containerName: p.container,
          image: p.image,
          namespace: p.namespace,
          nodeName: p.node,
          containerID: p.containerId,
          podName: p.name,
          podNamespace: p.namespace,
          podUID: p.uid,
          workloadName: p.workload,
          workloadNamespace: p.namespace,
          workloadKind: p.kind,
          request: {},
          response: {},
        },
      ],
      processTree: { processTree: node(spec.chain), containerID: p.containerId },
      cloudMetadata: { provider: 'azure', region: 'westeurope' },
    },
  });
}

/** A Falcosidekick payload (Falco alert + uuid), with the append_output fields that make lineage safe. */
export function falcoAlert(spec: {
  rule: string;
  priority: string;
  at: number;
  proc: Proc;
  tags: string[];
  fields: Record<string, unknown>;
  output: string;
  uuid: string;
}): string {
  const p = spec.proc.pod;
  return JSON.stringify({
    uuid: spec.uuid,
    output: spec.output,
    priority: spec.priority,
    rule: spec.rule,
    time: iso(spec.at, 481),
    source: 'syscall',
    hostname: p.node,
    tags: spec.tags,
    output_fields: {
      'evt.time': spec.at * 1_000_000 + 481,
      'container.id': p.containerId.slice(0, 12),
      'container.full_id': p.containerId,
      'container.name': p.container,
      'container.image.repository': p.image.split(':')[0],
      'container.image.tag': p.image.split(':')[1],
      'k8s.ns.name': p.namespace,
      'k8s.pod.name': p.name,
      'k8s.cluster.name': p.cluster,
      'proc.pid': spec.proc.pid,
      'proc.ppid': spec.proc.parent?.pid ?? 1,
      'proc.name': spec.proc.binary.split('/').pop(),
      'proc.exepath': spec.proc.binary,
      'proc.cmdline': `${spec.proc.binary.split('/').pop()} ${spec.proc.args}`.trim(),
      'proc.pname': spec.proc.parent?.binary.split('/').pop() ?? null,
      'user.name': 'root',
      'user.uid': 0,
      ...spec.fields,
    },
  });
}
