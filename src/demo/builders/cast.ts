/** Pods and processes of a scenario, with ids that look real and never collide. */
import { createHash } from 'node:crypto';

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

export const iso = (ms: number, extraNanos = 0) =>
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
