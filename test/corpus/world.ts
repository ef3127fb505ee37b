/**
 * The simulated cluster of one scenario: nodes, pods and processes with the identities the sensors
 * report (host pids, Tetragon exec_ids, 64-hex container ids, pod IPs, Kubernetes names with the
 * suffixes ReplicaSets and Jobs give them). Every name and number comes from the scenario's Rng.
 */
import type { Rng } from './rng.ts';

/** A node of the cluster. */
export interface Node {
  name: string;
  /** Boot time (ms): Tetragon's ktime counts from it. */
  bootMs: number;
  /** Next host pid to hand out (pids grow, as on a busy node). */
  nextPid: number;
  /** Third octet of this node's pod CIDR. */
  podSubnet: number;
}

/** The AKS cluster of a scenario and the Azure resources around it. */
export interface Cluster {
  name: string;
  subscription: string;
  resourceGroup: string;
  region: string;
  tenant: string;
  /** ARM id of the managed cluster, as Defender for Containers names it. */
  resourceId: string;
  nodes: Node[];
  /** Container registry host the images come from. */
  registry: string;
  /** Tetragon exports `cluster_name` only when it is configured. */
  tetragonClusterName: boolean;
  /** Where the model deployments live (Defender for AI alerts name this resource). */
  openAi: { account: string; resourceId: string; host: string; ip: string };
}

/** The owner kind Tetragon and the Collector report. */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'CronJob' | 'Job' | 'DaemonSet';

/** One container of a pod (a second container of the same pod is another Pod with its id). */
export interface Pod {
  cluster: Cluster;
  namespace: string;
  name: string;
  workload: string;
  kind: WorkloadKind;
  container: string;
  containerId: string;
  image: string;
  imageDigest: string;
  node: Node;
  ip: string;
  uid: string;
  /** OTel `service.name` of what runs in it. */
  serviceName: string;
  /** containerd-shim of the pod: the parent of every process the container runtime starts. */
  shim: Proc;
  /** When the container started (ms). */
  started: number;
}

/** A process with its host pid and Tetragon exec_id. */
export interface Proc {
  pod: Pod;
  pid: number;
  binary: string;
  /** Arguments as one string, as Tetragon exports them. */
  args: string;
  execId: string;
  parent?: Proc;
  start: number;
  uid: number;
  cwd: string;
}

/** What a new pod is; everything else comes from the seed. */
export interface PodSpec {
  namespace: string;
  workload: string;
  kind?: WorkloadKind;
  container?: string;
  image?: string;
  serviceName?: string;
  /** Container start (ms); defaults to hours before the scenario. */
  started?: number;
  /** Name of a Job pod's CronJob schedule slot (minutes since epoch), for `CronJob` pods. */
  cronSlot?: number;
  /** Node index; random when absent. */
  node?: number;
}

/** Kubernetes' rand.SafeEncodeString alphabet (pod-template-hash and pod suffixes). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** Hands out pods, processes, pids and addresses for one scenario. */
export class World {
  readonly cluster: Cluster;
  private readonly usedIps = new Set<string>();
  private readonly replicaSets = new Map<string, string>();

  constructor(
    readonly rng: Rng,
    readonly start: number,
  ) {
    const r = rng.fork('cluster');
    const name = `aks-${r.pick(['prod', 'ai', 'agents', 'platform', 'apps', 'shared'])}-${r.pick(['weu', 'neu', 'eus2', 'wus3', 'sea'])}-${r.int(1, 9)}`;
    const subscription = r.uuid();
    const resourceGroup = `rg-${r.pick(['aks', 'ai-platform', 'agents', 'k8s'])}-${r.pick(['prod', 'prd', 'live'])}`;
    const pool = r.pick(['nodepool1', 'system', 'agentpool', 'userpool', 'workers']);
    const vmss = r.digits(8);
    const openAiAccount = `${r.pick(['contoso', 'fabrikam', 'northwind', 'adatum', 'litware'])}-${r.pick(['openai', 'aoai', 'ai', 'foundry'])}-${r.hex(4)}`;
    this.cluster = {
      name,
      subscription,
      resourceGroup,
      region: r.pick(['westeurope', 'northeurope', 'eastus2', 'westus3', 'southeastasia']),
      tenant: r.uuid(),
      resourceId: `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      nodes: Array.from({ length: r.int(3, 5) }, (_, i) => ({
        name: `aks-${pool}-${vmss}-vmss${String(i).padStart(6, '0')}`,
        bootMs: start - r.int(2, 30) * 86_400_000,
        nextPid: r.int(200_000, 3_000_000),
        podSubnet: i,
      })),
      registry: `${r.pick(['contoso', 'fabrikam', 'acme', 'tailspin', 'wingtip'])}${r.pick(['cr', 'acr', 'registry'])}.azurecr.io`,
      tetragonClusterName: r.chance(0.5),
      openAi: {
        account: openAiAccount,
        resourceId: `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${openAiAccount}`,
        host: `${openAiAccount}.openai.azure.com`,
        ip: publicIp(r, 'azure'),
      },
    };
  }

  /** One pod of a workload; replicas of one Deployment share their ReplicaSet hash. */
  pod(spec: PodSpec): Pod {
    const r = this.rng;
    const kind = spec.kind ?? 'Deployment';
    const node =
      spec.node !== undefined ? this.cluster.nodes[spec.node % this.cluster.nodes.length]! : r.pick(this.cluster.nodes);
    const name = this.podName(spec, kind);
    const image =
      spec.image ??
      `${this.cluster.registry}/${spec.namespace}/${spec.workload}:${r.int(1, 4)}.${r.int(0, 20)}.${r.int(0, 9)}`;
    const started = spec.started ?? this.start - r.int(2, 96) * 3_600_000;
    const pod: Pod = {
      cluster: this.cluster,
      namespace: spec.namespace,
      name,
      workload: spec.workload,
      kind,
      container: spec.container ?? spec.workload.split('-')[0]!,
      containerId: r.hex(64),
      image,
      imageDigest: `sha256:${r.hex(64)}`,
      node,
      ip: this.podIp(node),
      uid: r.uuid(),
      serviceName: spec.serviceName ?? spec.workload,
      shim: undefined as unknown as Proc,
      started,
    };
    pod.shim = {
      pod,
      pid: this.allocPid(node),
      binary: '/usr/bin/containerd-shim-runc-v2',
      args: `-namespace k8s.io -id ${r.hex(64)} -address /run/containerd/containerd.sock`,
      execId: '',
      start: started - r.int(500, 3000),
      uid: 0,
      cwd: '/run/containerd/io.containerd.runtime.v2.task/k8s.io',
    };
    pod.shim.execId = execId(node, pod.shim.start, pod.shim.pid, r);
    return pod;
  }

  /** Another container of the same pod (an init container, a sidecar). */
  container(pod: Pod, container: string, image: string, started = pod.started): Pod {
    return {
      ...pod,
      container,
      image,
      containerId: this.rng.hex(64),
      imageDigest: `sha256:${this.rng.hex(64)}`,
      started,
    };
  }

  /** A process started at `start` (ms). Without a parent, the container runtime started it. */
  proc(pod: Pod, binary: string, args: string, start: number, parent?: Proc, extra: Partial<Proc> = {}): Proc {
    const pid = this.allocPid(pod.node);
    return {
      pod,
      pid,
      binary,
      args,
      execId: execId(pod.node, start, pid, this.rng),
      parent: parent ?? pod.shim,
      start,
      uid: parent?.uid ?? 0,
      cwd: parent?.cwd ?? '/',
      ...extra,
    };
  }

  /** The container's main process, started with the container (before the stream when the pod is old). */
  main(pod: Pod, binary: string, args: string, extra: Partial<Proc> = {}): Proc {
    return this.proc(pod, binary, args, pod.started + this.rng.int(50, 900), undefined, { cwd: '/app', ...extra });
  }

  private podName(spec: PodSpec, kind: WorkloadKind): string {
    const r = this.rng;
    const suffix = () => Array.from({ length: 5 }, () => r.pick([...SAFE])).join('');
    switch (kind) {
      case 'Deployment': {
        const key = `${spec.namespace}/${spec.workload}`;
        let hash = this.replicaSets.get(key);
        if (!hash)
          this.replicaSets.set(key, (hash = Array.from({ length: r.int(9, 10) }, () => r.pick([...SAFE])).join('')));
        return `${spec.workload}-${hash}-${suffix()}`;
      }
      case 'StatefulSet':
        return `${spec.workload}-${r.int(0, 2)}`;
      case 'CronJob':
        return `${spec.workload}-${spec.cronSlot ?? Math.floor(this.start / 60_000)}-${suffix()}`;
      default:
        return `${spec.workload}-${suffix()}`;
    }
  }

  private podIp(node: Node): string {
    for (;;) {
      const ip = `10.244.${node.podSubnet}.${this.rng.int(2, 254)}`;
      if (!this.usedIps.has(ip)) {
        this.usedIps.add(ip);
        return ip;
      }
    }
  }

  private allocPid(node: Node): number {
    node.nextPid += this.rng.int(1, 60);
    return node.nextPid;
  }
}

/** exec_id = base64("<node>:<ktime ns>:<pid>"), as Tetragon builds it. */
function execId(node: Node, start: number, pid: number, r: Rng): string {
  const ktime = BigInt(Math.max(1, start - node.bootMs)) * 1_000_000n + BigInt(r.int(0, 999_999));
  return Buffer.from(`${node.name}:${ktime}:${pid}`).toString('base64');
}

/** A public address in a range that looks like the named kind of destination. */
export function publicIp(r: Rng, kind: 'azure' | 'cdn' | 'attacker' | 'saas' | 'entra' | 'pypi' | 'github'): string {
  const octet = () => r.int(1, 254);
  switch (kind) {
    case 'azure':
      return `${r.pick(['20', '40', '52', '13'])}.${r.int(40, 230)}.${octet()}.${octet()}`;
    case 'entra':
      return `20.190.${r.int(128, 191)}.${octet()}`;
    case 'cdn':
      return `${r.pick(['151.101', '104.16', '172.67', '23.215'])}.${octet()}.${octet()}`;
    case 'pypi':
      return `151.101.${r.pick([0, 64, 128, 192]) + r.int(1, 60)}.${r.int(200, 230)}`;
    case 'github':
      return `140.82.${r.int(112, 121)}.${octet()}`;
    case 'saas':
      return `${r.pick(['34', '35', '44', '54', '3'])}.${octet()}.${octet()}.${octet()}`;
    case 'attacker':
      // Documentation ranges and hosting ranges: no rule can key on one of them.
      return r.pick([
        `203.0.113.${octet()}`,
        `198.51.100.${octet()}`,
        `45.${r.int(9, 156)}.${octet()}.${octet()}`,
        `185.${r.int(100, 250)}.${octet()}.${octet()}`,
        `91.${r.int(100, 240)}.${octet()}.${octet()}`,
        `5.${r.int(100, 200)}.${octet()}.${octet()}`,
      ]);
  }
}

/** A private address outside the pod CIDR (managed databases, caches, internal load balancers). */
export function privateIp(r: Rng): string {
  return r.pick([
    `10.${r.int(0, 200)}.${r.int(0, 255)}.${r.int(2, 254)}`,
    `172.${r.int(16, 31)}.${r.int(0, 255)}.${r.int(2, 254)}`,
  ]);
}
