/**
 * What one event teaches a profile: the process it names (any event that carries one, so a process
 * started before the stream is learned from its file reads, connections, exit or an alert), what the
 * event itself did (a file path, egress, a DNS name, an HTTP call, a tool call and the tool before
 * it in the trace), and the keys by which each value is judged once.
 */
import { isIP } from 'node:net';
import type { RuntimeEvent } from '../model/event.ts';
import { httpCallOf } from './httpCall.ts';
import { processPattern } from './processPattern.ts';
import { collapsePath, egressKey, type Egress } from './profile.ts';
import { spanDestinationOf } from './spanDestination.ts';
import { allRoutineKeys, routineKeys } from './routine.ts';
import { RUNTIME_PARENT } from '../model/runtimeParent.ts';

/** One event's lesson. */
export interface Observation {
  executable?: string;
  /** `binary args-pattern`, from any event that names its process. */
  process?: string;
  entrypoint?: string;
  filePath?: string;
  egress?: Egress;
  dnsName?: string;
  tool?: string;
  toolTransition?: string;
  /** Every tool called earlier in the same turn → this tool (routine.ts). */
  toolPairs?: string[];
  /** Its routine keys (routine.ts): what it teaches a learning profile, with the event's time. */
  routine?: string[];
}

/** Per trace, the tool calls seen so far in event-time order (for transitions). */
export type TraceTools = Map<string, { time: number; tool: string }[]>;

const LOOPBACK = /^(127\.|::1$|0\.0\.0\.0$)/;
/** Traces whose last tool is remembered for transitions. */
const MAX_TRACES = 256;
/** Raw path → pattern, shared: most events repeat a few paths. */
const collapsed = new Map<string, string>();

function collapseCached(path: string): string {
  let c = collapsed.get(path);
  if (c === undefined) {
    c = collapsePath(path);
    if (collapsed.size >= 8192) collapsed.clear();
    collapsed.set(path, c);
  }
  return c;
}

/**
 * What one event teaches: the process it names (any event that carries one, so a process started
 * before the stream is learned from its file reads, connections, exit or an alert), plus what the
 * event itself did.
 */
export function observationOf(
  event: RuntimeEvent,
  traceTools: TraceTools,
  streamStart: number,
): Observation | undefined {
  const shape = shapeOf(event, streamStart);
  if (shape === undefined) return newObservation(event, traceTools, streamStart);
  const known = shapes.get(shape);
  if (known !== undefined) return known === NONE ? undefined : known;
  const o = newObservation(event, traceTools, streamStart);
  if (shapes.size >= MAX_SHAPES) shapes.clear();
  shapes.set(shape, o ?? NONE);
  if (o) {
    keyCache.set(o, keysOf(o));
    routineCache.set(o, routineKeys(o));
  }
  return o;
}

/**
 * Kernel events (exec, exit, connect, file access) repeat a few shapes: the same program with the
 * same arguments touching the same path or address. Their observation depends on those fields only,
 * so it is made once per shape, with its keys, and shared (bounded; never mutated: the learner copies
 * before it changes one). Spans and alerts depend on more (the trace's earlier tools) and are made each time.
 */
const shapes = new Map<string, Observation | typeof NONE>();
const NONE = Symbol('no observation');
const MAX_SHAPES = 8192;
const keyCache = new WeakMap<Observation, readonly string[]>();
const routineCache = new WeakMap<Observation, ReturnType<typeof routineKeys>>();

/** The fields a kernel event's observation is made of, as one string; undefined for other events. */
function shapeOf(event: RuntimeEvent, streamStart: number): string | undefined {
  if (event.trace !== undefined) return undefined;
  const kind = event.kind;
  let own: string;
  if (kind === 'process.exec' || kind === 'process.exit') own = 'x';
  else if (kind === 'network.connect') {
    const n = event.network;
    own = `n\0${n?.dstIp ?? ''}\0${n?.dstPort ?? ''}\0${n?.protocol ?? ''}\0${n?.domain ?? '\u0001'}`;
  } else if (event.layer === 'file' && kind.startsWith('file.')) own = `f\0${event.file?.path ?? '\u0001'}`;
  else return undefined;
  const p = event.process;
  if (!p?.binary) return `${own}\0\u0001`;
  const started = p.startTime !== undefined && p.startTime < streamStart;
  const entrypoint = (p.parentBinary !== undefined && RUNTIME_PARENT.test(p.parentBinary)) || started;
  return `${own}\0${p.binary}\0${p.commandLine ?? ''}\0${entrypoint ? 1 : 0}`;
}

/** An observation's routine keys by kind (routine.ts), made once for a shared one. */
export function routineKeysOf(o: Observation): ReturnType<typeof routineKeys> {
  return routineCache.get(o) ?? routineKeys(o);
}

function newObservation(event: RuntimeEvent, traceTools: TraceTools, streamStart: number): Observation | undefined {
  const own = ownObservation(event, traceTools);
  const p = event.process;
  if (!p?.binary) return own && withRoutine(own);
  const started = p.startTime !== undefined && p.startTime < streamStart;
  const entrypoint = (p.parentBinary !== undefined && RUNTIME_PARENT.test(p.parentBinary)) || started;
  return withRoutine({
    ...own,
    executable: p.binary,
    process: processPattern(p.binary, p.commandLine),
    entrypoint: entrypoint ? p.binary : undefined,
  });
}

function withRoutine(o: Observation): Observation {
  const keys = allRoutineKeys(o);
  if (keys.length) o.routine = keys;
  return o;
}

function ownObservation(event: RuntimeEvent, traceTools: TraceTools): Observation | undefined {
  switch (event.kind) {
    case 'process.exec':
    case 'process.exit':
    case 'alert':
      return undefined;
    case 'network.connect': {
      const n = event.network;
      if (!n?.dstIp || LOOPBACK.test(n.dstIp)) return undefined;
      const name = n.domain ? n.domain.replace(/\.$/, '').toLowerCase() : undefined;
      return {
        egress: {
          ip: n.dstIp,
          port: n.dstPort,
          protocol: (n.protocol ?? 'TCP').toUpperCase(),
          dns: name ? [name] : [],
        },
        dnsName: name,
      };
    }
    case 'dns.query': {
      const name = event.network?.domain?.replace(/\.$/, '').toLowerCase();
      return name ? { dnsName: name } : undefined;
    }
    case 'http.request':
      return httpObservation(event);
    case 'llm.chat':
    case 'agent.invoke':
      return spanEgress(event);
    case 'tool.execute':
    case 'mcp.request': {
      const t = event.trace;
      if (!t?.toolName || t.spanKind === 'SERVER') return undefined;
      // The tool called just before this one in the trace, by event time, not by arrival.
      const key = t.traceId ?? '';
      let calls = traceTools.get(key);
      if (!calls) {
        traceTools.set(key, (calls = []));
        if (traceTools.size > MAX_TRACES) traceTools.delete(traceTools.keys().next().value as string);
      }
      let i = calls.length;
      while (i > 0 && calls[i - 1]!.time > event.time) i--;
      const prev = calls[i - 1]?.tool;
      if (calls.length < 64) calls.splice(i, 0, { time: event.time, tool: t.toolName });
      // Every tool called before this one in the turn, as `earlier→this` (routine.ts).
      const pairs = new Set<string>();
      for (let k = 0; k < i; k++) if (calls[k]!.tool !== t.toolName) pairs.add(`${calls[k]!.tool}→${t.toolName}`);
      return {
        ...spanEgress(event),
        tool: t.toolName,
        toolTransition: prev && prev !== t.toolName ? `${prev}→${t.toolName}` : undefined,
        ...(pairs.size ? { toolPairs: [...pairs] } : {}),
      };
    }
    default:
      return event.layer === 'file' && event.file?.path ? { filePath: collapseCached(event.file.path) } : undefined;
  }
}

/**
 * A client span's destination (the model endpoint of a chat span, the MCP server of a tool call):
 * a cluster service by selector, any other host by name.
 */
function spanEgress(event: RuntimeEvent): Observation | undefined {
  const d = spanDestinationOf(event.trace, event.kind);
  if (!d) return undefined;
  if (d.service)
    return {
      egress: {
        ip: '',
        port: d.port,
        protocol: 'TCP',
        dns: [],
        podSelector: { 'app.kubernetes.io/name': d.service.name },
        namespaceSelector: { 'kubernetes.io/metadata.name': d.service.namespace },
      },
    };
  const named = !isIP(d.host);
  return {
    egress: { ip: named ? '' : d.host, port: d.port, protocol: 'TCP', dns: named ? [d.host] : [] },
    dnsName: named ? d.host : undefined,
  };
}

/** An HTTP client span: the host and port it called, and the method and path pattern. */
function httpObservation(event: RuntimeEvent): Observation | undefined {
  const call = httpCallOf(event.trace);
  if (!call) return undefined;
  const named = !isIP(call.host);
  return {
    egress: {
      ip: named ? '' : call.host,
      port: call.port,
      protocol: 'TCP',
      dns: named ? [call.host] : [],
      http: [{ method: call.method, path: call.path }],
      ...(call.tls ? { tls: true } : {}),
    },
    dnsName: named ? call.host : undefined,
  };
}

/**
 * A kernel event's observation without its process (after learning, a process is judged at its
 * exec), made once per shared observation, with its keys.
 */
export function effectsOf(o: Observation): Observation {
  let e = effectsOnly.get(o);
  if (!e) {
    effectsOnly.set(o, (e = { ...o, executable: undefined, process: undefined, entrypoint: undefined }));
    keyCache.set(e, keysOf(e));
  }
  return e;
}

const effectsOnly = new WeakMap<Observation, Observation>();

/** One key per value the observation carries: each is judged once per profile. */
export function keysOf(o: Observation): readonly string[] {
  const cached = keyCache.get(o);
  if (cached) return cached;
  const keys: string[] = [];
  if (o.executable) keys.push(`x:${o.executable}`);
  if (o.process) keys.push(`p:${o.process}`);
  if (o.entrypoint) keys.push(`n:${o.entrypoint}`);
  if (o.filePath) keys.push(`f:${o.filePath}`);
  if (o.egress) {
    const call = o.egress.http?.[0];
    keys.push(`e:${egressKey(o.egress)}/${o.egress.dns[0] ?? ''}${call ? ` ${call.method} ${call.path}` : ''}`);
  }
  if (o.dnsName) keys.push(`d:${o.dnsName}`);
  if (o.tool) keys.push(`t:${o.tool}`);
  if (o.toolTransition) keys.push(`s:${o.toolTransition}`);
  for (const r of o.routine ?? []) keys.push(`r:${r}`);
  return keys;
}
