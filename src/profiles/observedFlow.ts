/**
 * What a workload was seen doing, as flows a policy allows or denies: connections (from the kernel,
 * or from a client span's server address), DNS lookups, HTTP calls, executables started and the syscalls those imply. Flows come from events (a replay
 * through the pipeline) or from a tables directory (profiles, their deviations and story evidence),
 * and identical flows fold into one with a count and the first and last time.
 */
import { isIP } from 'node:net';
import type { RuntimeEvent } from '../model/event.ts';
import { httpCallOf } from './httpCall.ts';
import { spanDestinationOf } from './spanDestination.ts';

export type FlowKind = 'connect' | 'dns' | 'http' | 'exec' | 'syscall';

/** The workload a flow belongs to (as profiles name it). */
export interface FlowWorkload {
  cluster: string;
  namespace: string;
  workloadKind: string;
  workloadName: string;
  container: string;
}

export interface ObservedFlow {
  kind: FlowKind;
  workload: FlowWorkload;
  pod?: string;
  /** The executable that made the flow, when known. */
  process?: string;
  ip?: string;
  port?: number;
  protocol?: string;
  /** A destination name: the DNS name looked up, or the host of an HTTP call. */
  domain?: string;
  method?: string;
  /** HTTP path pattern (`⋯` for a dynamic segment). */
  path?: string;
  executable?: string;
  /** Syscalls that would serve the flow: allowed when any one is. */
  syscalls?: string[];
  first: number;
  last: number;
  count: number;
  storyId?: string;
  /** Where the flow was seen: `event`, `story evidence`, `learned profile`, `profile deviation`. */
  seenIn: string;
}

/** The syscalls kernel events imply (the eBPF sensors report events, not syscall names). */
const IMPLIED_SYSCALLS: Partial<Record<RuntimeEvent['kind'], string[]>> = {
  'process.exec': ['execve', 'execveat'],
  'network.connect': ['connect'],
  'network.listen': ['listen'],
  'file.open': ['openat', 'open', 'openat2'],
  'file.read': ['openat', 'open', 'openat2'],
  'file.write': ['openat', 'open', 'openat2'],
  'file.mmap': ['mmap'],
};

const LOOPBACK = /^(127\.|::1$|0\.0\.0\.0$|localhost$)/;

/** The flows one event shows (none for most agent spans). */
export function flowsOfEvent(e: RuntimeEvent, storyId?: string): ObservedFlow[] {
  const w = e.workload;
  const base = {
    workload: {
      cluster: w.cluster ?? '',
      namespace: w.namespace ?? '',
      workloadKind: w.workloadKind ?? 'Pod',
      workloadName: w.workloadName ?? w.pod ?? '',
      container: w.container ?? '',
    },
    pod: w.pod,
    process: e.process?.binary,
    first: e.time,
    last: e.time,
    count: 1,
    storyId,
    seenIn: 'event',
  };
  const out: ObservedFlow[] = [];
  const n = e.network;
  if (e.kind === 'network.connect' && n?.dstIp && !LOOPBACK.test(n.dstIp))
    out.push({
      ...base,
      kind: 'connect',
      ip: n.dstIp,
      port: n.dstPort,
      protocol: (n.protocol ?? 'TCP').toUpperCase(),
      domain: nameOf(n.domain),
    });
  if (e.kind === 'dns.query' && n?.domain) out.push({ ...base, kind: 'dns', domain: nameOf(n.domain) });
  const call = e.kind === 'http.request' ? httpCallOf(e.trace) : undefined;
  if (call)
    out.push({
      ...base,
      kind: 'http',
      ...(isIP(call.host) ? { ip: call.host } : { domain: call.host }),
      port: call.port,
      protocol: 'TCP',
      method: call.method,
      path: call.path,
    });
  const dst = e.kind !== 'http.request' ? spanDestinationOf(e.trace, e.kind) : undefined;
  if (dst)
    out.push({
      ...base,
      kind: 'connect',
      ...(isIP(dst.host) ? { ip: dst.host } : { domain: dst.host }),
      port: dst.port,
      protocol: 'TCP',
    });
  if (e.kind === 'process.exec' && e.process?.binary) out.push({ ...base, kind: 'exec', executable: e.process.binary });
  const implied = IMPLIED_SYSCALLS[e.kind];
  if (implied && e.process) out.push({ ...base, kind: 'syscall', syscalls: implied });
  return out;
}

function nameOf(d: string | undefined): string | undefined {
  return d ? d.replace(/\.$/, '').toLowerCase() : undefined;
}

/** The identity of a flow for folding: everything but times, counts, pod and where it was seen. */
export function flowKey(f: ObservedFlow): string {
  const w = f.workload;
  return [
    f.kind,
    w.namespace,
    w.workloadKind,
    w.workloadName,
    w.container,
    f.process ?? '',
    f.ip ?? '',
    f.port ?? '',
    f.protocol ?? '',
    f.domain ?? '',
    f.method ?? '',
    f.path ?? '',
    f.executable ?? '',
    (f.syscalls ?? []).join('|'),
    f.storyId ?? '',
  ].join('\u241f');
}

/** Folds flows into distinct ones (first/last time, count), those of a story apart from the rest. */
export class FlowLedger {
  private readonly flows = new Map<string, ObservedFlow>();

  add(f: ObservedFlow): void {
    const key = flowKey(f);
    const known = this.flows.get(key);
    if (!known) {
      this.flows.set(key, { ...f });
      return;
    }
    known.count += f.count;
    if (f.first < known.first) known.first = f.first;
    if (f.last > known.last) known.last = f.last;
    known.pod ??= f.pod;
  }

  /**
   * One occurrence of an already-added flow turned out to be story evidence (stories are known only
   * after the events): it moves from the plain flow to the story's.
   */
  assignStory(f: ObservedFlow, storyId: string): void {
    const plain = this.flows.get(flowKey({ ...f, storyId: undefined }));
    if (plain && plain.count > 1) plain.count--;
    else if (plain) this.flows.delete(flowKey(plain));
    this.add({ ...f, storyId });
  }

  all(): ObservedFlow[] {
    return [...this.flows.values()];
  }
}
