import { createHash } from 'node:crypto';

/**
 * Builders that emit each product's real wire format (Tetragon JSON export, OTLP/JSON,
 * Defender continuous export, Kubescape RuntimeAlerts, Falcosidekick), for the demo scenario,
 * the golden scenario tests and the benchmarks. Shapes follow reference/ and samples/.
 */

export interface Pod {
  cluster: string;
  namespace: string;
  name: string;
  workload: string;
  kind: string;
  container: string;
  containerId: string;
  image: string;
  node: string;
  ip: string;
  uid: string;
  serviceName?: string;
}

export interface Proc {
  pod: Pod;
  pid: number;
  binary: string;
  args: string;
  execId: string;
  parent?: Proc;
  start: number;
  uid?: number;
  cwd?: string;
}

const iso = (ms: number, extraNanos = 0) =>
  new Date(ms).toISOString().replace('Z', '') + String(extraNanos).padStart(6, '0') + 'Z';

/** Deterministic hex of any length from a seed (ids that look real and never collide). */
export function hex(seed: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${i}:${seed}`).digest('hex');
  return out.slice(0, length);
}

/** Kubernetes' rand.SafeEncodeString alphabet, as in pod-template-hash and pod suffixes. */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
function safe(seed: string, length: number): string {
  return [...hex(seed, length * 2).matchAll(/../g)]
    .slice(0, length)
    .map((m) => SAFE[Number.parseInt(m[0], 16) % SAFE.length])
    .join('');
}

export function pod(
  cluster: string,
  namespace: string,
  workload: string,
  index: number,
  extra: Partial<Pod> = {},
): Pod {
  const name = `${workload}-${safe(`${namespace}/${workload}`, 10)}-${safe(`${workload}${index}`, 5)}`;
  return {
    cluster,
    namespace,
    name,
    workload,
    kind: 'Deployment',
    container: workload.split('-')[0]!,
    containerId: hex(`cid:${name}`, 64),
    image: `ghcr.io/contoso/${workload}:1.4.2`,
    node: `aks-nodepool1-${10000000 + (index % 3)}-vmss00000${index % 3}`,
    ip: `10.244.${1 + (index % 3)}.${20 + (Number.parseInt(hex(name, 2), 16) % 200)}`,
    uid: `${hex(name + 'u', 8)}-${hex(name + 'v', 4)}-4${hex(name + 'w', 3)}-a${hex(name + 'x', 3)}-${hex(name + 'y', 12)}`,
    ...extra,
  };
}

/** exec_id = base64("<node>:<ktime ns>:<pid>") as Tetragon builds it; ktime here derives from the start time. */
export function proc(
  p: Pod,
  pid: number,
  binary: string,
  args: string,
  start: number,
  parent?: Proc,
  extra: Partial<Proc> = {},
): Proc {
  const ktime = BigInt(Math.round((start - 1_700_000_000_000) * 1000)) * 1_000n + BigInt(pid);
  return {
    pod: p,
    pid,
    binary,
    args,
    start,
    parent,
    execId: Buffer.from(`${p.node}:${ktime}:${pid}`).toString('base64'),
    uid: 0,
    cwd: '/app',
    ...extra,
  };
}

function tetragonProcess(p: Proc) {
  return {
    exec_id: p.execId,
    pid: p.pid,
    uid: p.uid ?? 0,
    cwd: p.cwd ?? '/',
    binary: p.binary,
    arguments: p.args,
    flags: 'execve clone',
    start_time: iso(p.start),
    auid: 4294967295,
    pod: {
      namespace: p.pod.namespace,
      name: p.pod.name,
      container: {
        id: `containerd://${p.pod.containerId}`,
        name: p.pod.container,
        image: { id: `${p.pod.image}@sha256:${hex(p.pod.image, 64)}`, name: p.pod.image },
        start_time: iso(p.start - 3_600_000).slice(0, 19) + 'Z',
        pid: 1,
      },
      pod_labels: { app: p.pod.workload },
      workload: p.pod.workload,
      workload_kind: p.pod.kind,
    },
    docker: p.pod.containerId.slice(0, 31),
    parent_exec_id: p.parent?.execId ?? Buffer.from(`${p.pod.node}:1:1`).toString('base64'),
    tid: p.pid,
  };
}

function parentOf(p: Proc) {
  if (p.parent) return tetragonProcess(p.parent);
  return {
    exec_id: Buffer.from(`${p.pod.node}:1:1`).toString('base64'),
    pid: 4021,
    uid: 0,
    cwd: '/run/containerd',
    binary: '/usr/bin/containerd-shim-runc-v2',
    arguments: `-namespace k8s.io -id ${p.pod.containerId}`,
    flags: 'execve clone',
    start_time: iso(p.start - 3_600_000),
    auid: 4294967295,
  };
}

export function tetragonExec(p: Proc): string {
  return JSON.stringify({
    process_exec: { process: tetragonProcess(p), parent: parentOf(p) },
    node_name: p.pod.node,
    cluster_name: p.pod.cluster,
    time: iso(p.start, 123),
  });
}

export function tetragonExit(p: Proc, at: number): string {
  return JSON.stringify({
    process_exit: { process: tetragonProcess(p), parent: parentOf(p), status: 0, time: iso(at) },
    node_name: p.pod.node,
    cluster_name: p.pod.cluster,
    time: iso(at, 7),
  });
}

export function tetragonFile(p: Proc, at: number, path: string, mask = 4): string {
  return JSON.stringify({
    process_kprobe: {
      process: tetragonProcess(p),
      parent: parentOf(p),
      function_name: 'security_file_permission',
      args: [{ file_arg: { path, permission: '-rw-r--r--' } }, { int_arg: mask }],
      return: { int_arg: 0 },
      action: 'KPROBE_ACTION_POST',
      policy_name: 'file-monitoring',
      return_action: 'KPROBE_ACTION_POST',
    },
    node_name: p.pod.node,
    cluster_name: p.pod.cluster,
    time: iso(at, 311),
  });
}

export function tetragonConnect(
  p: Proc,
  at: number,
  daddr: string,
  dport: number,
  sport = 40000 + (p.pid % 20000),
): string {
  return JSON.stringify({
    process_kprobe: {
      process: tetragonProcess(p),
      parent: parentOf(p),
      function_name: 'tcp_connect',
      args: [
        {
          sock_arg: {
            family: 'AF_INET',
            type: 'SOCK_STREAM',
            protocol: 'IPPROTO_TCP',
            saddr: p.pod.ip,
            daddr,
            sport,
            dport,
            cookie: String(18446620000000000000n + BigInt(p.pid)),
            state: 'TCP_SYN_SENT',
          },
        },
      ],
      action: 'KPROBE_ACTION_POST',
      policy_name: 'connect',
    },
    node_name: p.pod.node,
    cluster_name: p.pod.cluster,
    time: iso(at, 911),
  });
}

export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 1 | 2 | 3;
  start: number;
  end: number;
  attributes: Record<string, string | number | boolean>;
}

/** One OTLP/JSON ExportTraceServiceRequest from a pod (resource attributes as k8sattributesprocessor adds them). */
export function otlpRequest(p: Pod, spans: SpanSpec[]): string {
  const kv = (k: string, v: string | number | boolean) => ({
    key: k,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: {
          attributes: [
            kv('service.name', p.serviceName ?? p.workload),
            kv('k8s.namespace.name', p.namespace),
            kv('k8s.pod.name', p.name),
            kv('k8s.pod.uid', p.uid),
            kv('k8s.pod.ip', p.ip),
            kv('k8s.deployment.name', p.workload),
            kv('k8s.node.name', p.node),
            kv('k8s.cluster.name', p.cluster),
            kv('container.id', p.containerId),
          ],
        },
        scopeSpans: [
          {
            scope: { name: 'opentelemetry.instrumentation.genai', version: '0.9.0' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: String(BigInt(Math.round(s.start)) * 1_000_000n),
              endTimeUnixNano: String(BigInt(Math.round(s.end)) * 1_000_000n),
              attributes: Object.entries(s.attributes).map(([k, v]) => kv(k, v)),
              status: { code: 0 },
            })),
          },
        ],
      },
    ],
  });
}

/** Defender for Cloud continuous export, the flat PascalCase alert that actually arrives on the hub. */
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
