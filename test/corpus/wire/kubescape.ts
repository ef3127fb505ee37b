/**
 * Kubescape node-agent runtime alerts (reference/sensor-formats.md §1): the HTTP exporter body
 * (`kind: RuntimeAlerts`, 1..N alerts of one container with bulking, plus the merged process
 * chain with `childrenMap` keyed `comm␟pid`) and the stdout exporter's logrus line
 * (`BaseRuntimeMetadata` / `RuntimeK8sDetails` / `RuntimeProcessDetails` / `RuleID`).
 */
import { kubescapeKey } from '../labels.ts';
import type { Rng } from '../rng.ts';
import type { Proc } from '../world.ts';
import { isoNanos } from './tetragon.ts';

/** One rule failure of the node-agent. */
export interface KubescapeAlertSpec {
  ruleId: string;
  name: string;
  /** 1 (anomaly) … 10 (critical), as the rule catalogue sets it. */
  severity: number;
  at: number;
  /** The process the alert is about (`infectedPID`). */
  proc: Proc;
  arguments: Record<string, unknown>;
  message: string;
  /** The rule's uniqueId expression, e.g. `comm_exepath` for R0001. */
  uniqueId: string;
  identifiers?: Record<string, unknown>;
}

/** Linux `comm`: the executable's base name, at most 15 characters. */
export function comm(p: Proc): string {
  return p.binary.split('/').pop()!.slice(0, 15);
}

interface TreeNode {
  pid: number;
  ppid: number;
  comm: string;
  pcomm?: string;
  cmdline: string;
  path: string;
  uid: number;
  gid: number;
  startTime: string;
  cwd: string;
  upperLayer?: boolean;
  childrenMap?: Record<string, TreeNode>;
}

/** The chain from the container's first process down to `p` (what Kubescape exports per alert). */
function chainOf(p: Proc): Proc[] {
  const chain: Proc[] = [];
  for (let c: Proc | undefined = p; c && c !== p.pod.shim && chain.length < 32; c = c.parent) chain.unshift(c);
  return chain;
}

function node(p: Proc): TreeNode {
  return {
    pid: p.pid,
    ppid: p.parent && p.parent !== p.pod.shim ? p.parent.pid : p.pod.shim.pid,
    comm: comm(p),
    ...(p.parent && p.parent !== p.pod.shim ? { pcomm: comm(p.parent) } : {}),
    cmdline: `${p.binary} ${p.args}`.trim(),
    path: p.binary,
    uid: p.uid,
    gid: p.uid,
    startTime: new Date(p.start).toISOString(),
    cwd: p.cwd,
    ...(p.binary.startsWith('/tmp/') || p.binary.startsWith('/dev/shm/') ? { upperLayer: true } : {}),
  };
}

/** Merges the chains of several alerts into one tree (bulked alerts share one `processTree`). */
function mergedTree(procs: Proc[]): TreeNode | undefined {
  let root: TreeNode | undefined;
  chains: for (const p of procs) {
    let parent: TreeNode | undefined;
    for (const c of chainOf(p)) {
      const key = `${comm(c)}\u241f${c.pid}`;
      let here: TreeNode | undefined;
      if (!parent) {
        root ??= node(c);
        here = root.pid === c.pid ? root : undefined;
        // Chains of one container share their root; one from another root (an exec from outside)
        // is left out of the merged tree, as a tree has one root.
        if (!here) continue chains;
      } else {
        parent.childrenMap ??= {};
        here = parent.childrenMap[key] ??= node(c);
      }
      parent = here;
    }
  }
  return root;
}

function alertObject(a: KubescapeAlertSpec, timestamp: string) {
  const p = a.proc.pod;
  return {
    alertName: a.name,
    arguments: a.arguments,
    infectedPID: a.proc.pid,
    severity: a.severity,
    timestamp,
    trace: {},
    uniqueID: a.uniqueId,
    profileMetadata: {
      status: 'completed',
      completion: 'complete',
      name: `replicaset-${p.workload}-${p.name.split('-').at(-2) ?? ''}`,
      failOnProfile: true,
      type: 0,
    },
    identifiers: a.identifiers ?? {
      process: { name: comm(a.proc), commandLine: `${a.proc.binary} ${a.proc.args}`.trim() },
    },
    ruleID: a.ruleId,
    message: a.message,
    clusterName: p.cluster.name,
    containerName: p.container,
    hostNetwork: false,
    image: p.image,
    imageDigest: p.imageDigest,
    namespace: p.namespace,
    nodeName: p.node.name,
    containerID: p.containerId,
    podName: p.name,
    podNamespace: p.namespace,
    podUID: p.uid,
    workloadName: p.workload,
    workloadNamespace: p.namespace,
    workloadKind: p.kind,
    request: {},
    response: {},
  };
}

/** One HTTP exporter POST: alerts of ONE container (bulking), with the merged chain. */
export function kubescapeHttp(alerts: KubescapeAlertSpec[], r: Rng): { body: string; keys: string[] } {
  const first = alerts[0];
  if (!first) throw new Error('kubescapeHttp needs at least one alert');
  const pod = first.proc.pod;
  const stamped = alerts.map((a) => ({ a, timestamp: isoNanos(a.at, r.int(0, 999_999)) }));
  const body = JSON.stringify({
    kind: 'RuntimeAlerts',
    apiVersion: 'kubescape.io/v1',
    metadata: { name: pod.name, namespace: pod.namespace },
    spec: {
      alerts: stamped.map(({ a, timestamp }) => alertObject(a, timestamp)),
      processTree: {
        processTree: mergedTree(alerts.map((a) => a.proc)),
        containerID: pod.containerId,
      },
      cloudMetadata: { provider: 'azure', region: pod.cluster.region, account_id: pod.cluster.subscription },
    },
  });
  return {
    body,
    keys: stamped.map(({ a, timestamp }) => kubescapeKey(a.ruleId, pod.containerId, a.proc.pid, a.uniqueId, timestamp)),
  };
}

/** One stdout exporter line (logrus JSON on stderr, collected by the node's log shipper). */
export function kubescapeStdout(a: KubescapeAlertSpec, r: Rng): { body: string; keys: string[] } {
  const p = a.proc.pod;
  const timestamp = isoNanos(a.at, r.int(0, 999_999));
  const full = alertObject(a, timestamp);
  const body = JSON.stringify({
    BaseRuntimeMetadata: {
      alertName: a.name,
      arguments: a.arguments,
      infectedPID: a.proc.pid,
      severity: a.severity,
      timestamp,
      trace: {},
      uniqueID: a.uniqueId,
      profileMetadata: full.profileMetadata,
      identifiers: full.identifiers,
    },
    CloudMetadata: null,
    RuleID: a.ruleId,
    RuntimeK8sDetails: {
      clusterName: p.cluster.name,
      containerName: p.container,
      hostNetwork: false,
      image: p.image,
      imageDigest: p.imageDigest,
      namespace: p.namespace,
      containerID: p.containerId,
      podName: p.name,
      podNamespace: p.namespace,
      podUID: p.uid,
      workloadName: p.workload,
      workloadNamespace: p.namespace,
      workloadKind: p.kind,
      nodeName: p.node.name,
    },
    RuntimeProcessDetails: { processTree: mergedTree([a.proc]), containerID: p.containerId },
    level: 'error',
    message: a.message,
    msg: a.name,
    processtree_depth: String(chainOf(a.proc).length),
    time: new Date(a.at + r.int(1, 40)).toISOString(),
  });
  return { body, keys: [kubescapeKey(a.ruleId, p.containerId, a.proc.pid, a.uniqueId, timestamp)] };
}
