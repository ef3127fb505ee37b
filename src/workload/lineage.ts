/**
 * Process lineage in one workload: which parents are worth waiting for, which known process an
 * event names, and which process tree it belongs to. Identity is the process key, never a pid
 * alone: a pid names a process only within one container (or pod) and at one time.
 */
import type { AncestorInfo, RuntimeEvent } from '../model/event.ts';
import { RUNTIME_PARENT } from '../model/runtimeParent.ts';
import type { ProcNode, WorkloadState } from './state.ts';

export { RUNTIME_PARENT };

/**
 * A process that has lived this long when it starts a child is a service (a server, a supervisor,
 * the container's long-running main process): its children are separate trees, not one.
 */
export const SERVICE_AGE_MS = 5 * 60_000;

/**
 * Command lines of MCP servers run over stdio (`npx @modelcontextprotocol/server-…`,
 * `python -m mcp_server_…`, `uvx mcp-server-…`, FastMCP apps, `… --stdio`).
 */
const MCP_SERVER_COMMAND = /modelcontextprotocol|mcp[-_]?server|server[-_]mcp|fastmcp|--stdio\b|\bmcp\b/i;

export function looksLikeMcpServer(commandLine: string | undefined): boolean {
  return commandLine !== undefined && MCP_SERVER_COMMAND.test(commandLine);
}

/** How far a pid match may be from the process's lifetime (sensor clocks, exit events lagging). */
const LIFETIME_SLACK_MS = 2_000;

/**
 * Wait for a parent only when it should still arrive: a Tetragon parent inside the container
 * that started recently. A parent exec'd long before our data (an hour-old server) never will.
 */
export function parentExpected(event: RuntimeEvent, parkingTimeoutMs: number): boolean {
  const p = event.process;
  if (event.source.product !== 'tetragon' || !p?.parentBinary || RUNTIME_PARENT.test(p.parentBinary)) return false;
  return p.parentStartTime === undefined || event.time - p.parentStartTime <= parkingTimeoutMs;
}

/**
 * Whether a Tetragon effect (a kprobe: file, network) names a process whose exec may still come:
 * it started within the parking timeout and it is not the container's main process. Its exec and
 * the effect travel in different bodies, so the effect can arrive first.
 */
export function execExpected(event: RuntimeEvent, parkingTimeoutMs: number): boolean {
  const p = event.process;
  if (event.source.product !== 'tetragon' || event.kind === 'process.exec' || event.kind === 'process.exit')
    return false;
  if (!p?.key || p.startTime === undefined || !p.parentBinary || RUNTIME_PARENT.test(p.parentBinary)) return false;
  return event.time - p.startTime <= parkingTimeoutMs;
}

/** A known process an event names, and by which key it was matched (for the `alerted` edge). */
export interface ResolvedProcess {
  proc: ProcNode;
  via: string;
}

/**
 * The known process an event names, by the strongest key its source gives (DESIGN §4.1): the
 * process key (Tetragon exec_id, or node+container+pid+start); the pid within the process's
 * lifetime in the same container, else in the same pod (Defender names pod and pid, not the
 * container id); the command line in the pod at that time; else the nearest ancestor of the
 * chain the alert carries (Kubescape processTree, Falco proc.aname) that is known.
 */
export function resolveProcess(
  w: WorkloadState,
  event: RuntimeEvent,
  options: { ancestors?: boolean } = {},
): ResolvedProcess | undefined {
  const p = event.process;
  if (p) {
    const byKey = w.processes.get(p.key);
    if (byKey) return { proc: byKey, via: 'the same process key' };
    const own = byPid(w, event, p.pid, p.commandLine);
    if (own) return own;
  }
  if (options.ancestors === false) return undefined;
  // The chain is root first: the nearest ancestor is the last one.
  const chain: readonly AncestorInfo[] = event.ancestors ?? [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const a = chain[i]!;
    if (a.key === p?.key) continue;
    const known = w.processes.get(a.key) ?? byPid(w, event, a.pid, a.commandLine)?.proc;
    if (known) return { proc: known, via: `its process tree names ${a.binary ?? 'an ancestor'} (pid ${a.pid})` };
  }
  return undefined;
}

function byPid(
  w: WorkloadState,
  event: RuntimeEvent,
  pid: number | undefined,
  commandLine: string | undefined,
): ResolvedProcess | undefined {
  const cid = event.workload.containerId;
  const pod = event.workload.pod;
  if (pid !== undefined) {
    if (cid) {
      const p = alive(w, w.pidIndex.get(`${cid.slice(0, 12)}:${pid}`), event.time);
      if (p) return { proc: p, via: `pid ${pid} in the same container` };
    }
    if (pod) {
      const p = alive(w, w.podPidIndex.get(`${pod}:${pid}`), event.time);
      if (p) return { proc: p, via: `pid ${pid} in the same pod` };
    }
  }
  if (commandLine && pod) {
    const p = byCommandLine(w, pod, commandLine, event.time);
    if (p) return { proc: p, via: 'the same command line in the same pod' };
  }
  return undefined;
}

/** The latest process among `keys` alive at `time` (started by then, not exited long before). */
function alive(w: WorkloadState, keys: readonly string[] | undefined, time: number): ProcNode | undefined {
  let best: ProcNode | undefined;
  for (const k of keys ?? []) {
    const p = w.processes.get(k);
    if (!p || p.start > time + LIFETIME_SLACK_MS) continue;
    if (p.exited !== undefined && p.exited < time - LIFETIME_SLACK_MS) continue;
    if (!best || p.start > best.start) best = p;
  }
  return best;
}

/** A process of the pod with the same command line, alive then (sources print it with or without the path). */
function byCommandLine(w: WorkloadState, pod: string, commandLine: string, time: number): ProcNode | undefined {
  const want = normaliseCommandLine(commandLine);
  let best: ProcNode | undefined;
  for (const key of w.podProcesses.get(pod) ?? []) {
    const p = w.processes.get(key);
    const cl = p?.exec?.process?.commandLine;
    if (!p || !cl || normaliseCommandLine(cl) !== want) continue;
    if (p.start > time + LIFETIME_SLACK_MS || (p.exited !== undefined && p.exited < time - LIFETIME_SLACK_MS)) continue;
    if (!best || p.start > best.start) best = p;
  }
  return best;
}

/** `/bin/bash -i` and `bash -i` name the same process: the first word's path is dropped. */
function normaliseCommandLine(cl: string): string {
  const trimmed = cl.trim().replace(/\s+/g, ' ');
  const space = trimmed.indexOf(' ');
  const first = space < 0 ? trimmed : trimmed.slice(0, space);
  return first.slice(first.lastIndexOf('/') + 1) + (space < 0 ? '' : trimmed.slice(space));
}

/**
 * Whether a process serves others rather than being one piece of work: the container's main
 * process (started by the runtime), an MCP server, or one that had lived for SERVICE_AGE_MS when
 * its child started. Its children start trees of their own.
 */
export function isService(w: WorkloadState, proc: ProcNode, childStart: number): boolean {
  if (proc.service || proc.mcpServer || w.mainProcesses.has(proc.key)) return true;
  const parentBinary = proc.exec?.process?.parentBinary;
  if (!proc.parentKey || (parentBinary !== undefined && RUNTIME_PARENT.test(parentBinary))) return true;
  return childStart - proc.start >= SERVICE_AGE_MS;
}

/**
 * The root of a process's tree (DESIGN §4.1 "one process tree, one story"): the topmost known
 * ancestor below a service process. Children of a server, a supervisor or the container's main
 * process are separate trees, so unrelated work busy in one container stays apart; a parent that
 * predates our data is such a service, so its children are roots.
 */
export function treeRoot(w: WorkloadState, proc: ProcNode): ProcNode {
  let node = proc;
  for (let depth = 0; depth < 32; depth++) {
    if (node.service) return node;
    const parent = node.parentKey ? w.processes.get(node.parentKey) : undefined;
    if (!parent || isService(w, parent, node.start)) return node;
    node = parent;
  }
  return node;
}

/** Whether `proc` descends from `ancestorKey` (known lineage only). */
export function descendsFrom(w: WorkloadState, proc: ProcNode, ancestorKey: string): boolean {
  let node: ProcNode | undefined = proc;
  for (let depth = 0; node && depth < 32; depth++) {
    if (node.parentKey === ancestorKey) return true;
    node = node.parentKey ? w.processes.get(node.parentKey) : undefined;
  }
  return false;
}

/** The process tree an event belongs to (its process's root key), when its process is known. */
export function treeOf(w: WorkloadState, event: RuntimeEvent, resolved?: ResolvedProcess): string | undefined {
  const proc = resolved?.proc ?? (event.process ? w.processes.get(event.process.key) : undefined);
  return proc ? (proc.rootKey ?? proc.key) : event.process?.key;
}

/**
 * A stdio MCP server: a child of the container's main process (the agent) that looks like one, or
 * that started processes during a stdio call. Decided when asked (the agent's exec may arrive after
 * its server's) and remembered.
 */
export function isStdioServer(w: WorkloadState, proc: ProcNode): boolean {
  if (proc.mcpServer) return true;
  if (proc.parentKey === undefined || !w.mainProcesses.has(proc.parentKey)) return false;
  if (!looksLikeMcpServer(proc.exec?.process?.commandLine)) return false;
  proc.mcpServer = true;
  proc.service = true;
  return true;
}
