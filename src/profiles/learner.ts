/**
 * Profiles of one workload, one per container, learned from its events or imported: during the
 * learning period (from the workload's first event) what it does goes into the profile; after it
 * (or at once for an imported profile) what falls outside is a deviation. Deviations are looked up
 * by the signal rules (`condition.deviation`) and become CausewayProfiles_CL rows, as does each
 * profile when its learning completes. Part of the workload's snapshot.
 */
import { isIP } from 'node:net';
import type { RuntimeEvent } from '../model/event.ts';
import { destinationHost } from './draftMetadata.ts';
import { httpCallOf } from './httpCall.ts';
import { processPattern } from './processPattern.ts';
import { spanDestinationOf } from './spanDestination.ts';
import {
  collapsePath,
  egressCovered,
  egressKey,
  emptyProfile,
  observe,
  pathCovered,
  selectorKey,
  withDefaults,
  type DeviationKind,
  type Egress,
  type Profile,
} from './profile.ts';

export interface ProfileRecord {
  profile: Profile;
  time: number;
  pod?: string;
  deviation?: { kind: DeviationKind; value: string };
}

export interface Deviation {
  kind: DeviationKind;
  value: string;
  /** What the profile holds, in short: the evidence a signal cites. */
  evidence: string;
  /** Whether the profile was learned here or imported (Kubescape). */
  profile: 'learned' | 'imported';
}

interface Observation {
  executable?: string;
  /** `binary args-pattern`, from any event that names its process. */
  process?: string;
  entrypoint?: string;
  filePath?: string;
  egress?: Egress;
  dnsName?: string;
  tool?: string;
  toolTransition?: string;
}

const LOOPBACK = /^(127\.|::1$|0\.0\.0\.0$)/;
/** A watched profile's snapshot row is written again at most this often (event time), to say until when. */
const WATCH_ROW_MS = 24 * 3_600_000;
/** Parents that live outside the container: a process they started is the container's entrypoint. */
const RUNTIME_PARENT = /containerd-shim|\/runc$|conmon|crun|docker-containerd/;
/** Values already judged per profile (inside it, or already reported as new): bounded. */
const MAX_JUDGED = 4096;
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

/** Per profile, in memory only: what was already judged, so the common event costs one Set lookup. */
class Judged {
  readonly values = new Set<string>();
  /** Process keys counted in the profile's coverage (in memory: a restore may count one again). */
  readonly processes = new Set<string>();
  has(v: string): boolean {
    return this.values.has(v);
  }
  add(v: string): void {
    if (this.values.size >= MAX_JUDGED) this.values.clear();
    this.values.add(v);
  }
  /** Whether this process is new to the profile's coverage. */
  newProcess(key: string): boolean {
    if (this.processes.has(key)) return false;
    if (this.processes.size >= MAX_JUDGED) this.processes.clear();
    this.processes.add(key);
    return true;
  }
}
/** Traces whose last tool is remembered for transitions. */
const MAX_TRACES = 256;

export class ProfileBook {
  private readonly profiles = new Map<string, Profile>();
  private readonly judged = new Map<Profile, Judged>();
  /** Per trace, the tool calls seen so far in event-time order (for transitions). */
  private readonly traceTools = new Map<string, { time: number; tool: string }[]>();
  /** Deviations of the event being handled, for the signal rules that ask. */
  private current: { eventId: string; deviations: Deviation[] } | undefined;
  private pending: ProfileRecord[] = [];
  /** Completed profiles that a late event from their learning window taught since their last row. */
  private readonly stale = new Set<Profile>();
  /** When each completed profile's latest snapshot row was written (event time; in memory only). */
  private readonly rowWrittenAt = new Map<Profile, number>();

  /**
   * Rows waiting to be written; the stage drains them each batch. A profile that late events from
   * its learning window taught (or only counted) is written again, once per drain, so the table holds
   * what was learned and how much was seen, not what had arrived when the window closed.
   */
  get records(): ProfileRecord[] {
    for (const profile of this.stale) {
      const time = Math.max(profile.learningEndsAt!, profile.coverage.watchedUntil ?? 0);
      this.rowWrittenAt.set(profile, time);
      const row = this.pending.find((r) => !r.deviation && r.profile.id === profile.id);
      if (row) Object.assign(row, { profile: structuredClone(profile), time });
      else this.pending.push({ profile: structuredClone(profile), time });
    }
    this.stale.clear();
    return this.pending;
  }

  set records(rows: ProfileRecord[]) {
    this.pending = rows;
  }

  constructor(
    private readonly learningMs: number,
    private readonly baselines: ReadonlyMap<string, Profile> = new Map(),
  ) {}

  /** Learns from one event, or finds how it deviates; returns the deviations. */
  see(event: RuntimeEvent, workloadFirstSeen: number, now: number): readonly Deviation[] {
    let o = observationOf(event, this.traceTools, workloadFirstSeen);
    if (!o) {
      this.current = undefined;
      return [];
    }
    const profile = this.profileFor(event, workloadFirstSeen);
    this.completeIfDue(profile, now, event.workload.pod);
    this.watch(profile, event.time);
    let judged = this.judged.get(profile);
    if (!judged) this.judged.set(profile, (judged = new Judged()));
    // An event from inside the learning window teaches, even when it arrives after the profile
    // completed (within the allowed lateness, arrival order is not event order).
    if (profile.status !== 'imported' && event.time < (profile.learningEndsAt ?? 0)) {
      this.teach(profile, judged, event, o);
      this.current = undefined;
      return [];
    }
    // After learning, a process is judged where it starts (its exec), as the signal rules expect:
    // a kernel event that arrives before its exec must not use up the exec's deviation.
    if (event.kind !== 'process.exec') o = { ...o, executable: undefined, process: undefined, entrypoint: undefined };
    const keys = keysOf(o);
    // Each value is judged once: inside the profile, or a deviation reported the first time.
    if (keys.every((k) => judged.has(k))) {
      this.current = undefined;
      return [];
    }
    const deviations = deviationsOf(profile, o);
    for (const k of keys) judged.add(k);
    for (const d of deviations)
      this.pending.push({
        profile: structuredClone(profile),
        time: event.time,
        pod: event.workload.pod,
        deviation: { kind: d.kind, value: d.value },
      });
    this.current = { eventId: event.id, deviations };
    return deviations;
  }

  /** Moves the profile's watched-until time; a day after its last row, the row is written again. */
  private watch(profile: Profile, time: number): void {
    const c = withDefaults(profile).coverage;
    if (time <= (c.watchedUntil ?? -Infinity)) return;
    c.watchedUntil = time;
    if (profile.status !== 'complete') return;
    const written = this.rowWrittenAt.get(profile);
    if (written === undefined) this.rowWrittenAt.set(profile, time);
    else if (time - written >= WATCH_ROW_MS) this.stale.add(profile);
  }

  private teach(profile: Profile, judged: Judged, event: RuntimeEvent, o: Observation): void {
    withDefaults(profile);
    if (profile.status === 'complete') this.stale.add(profile);
    const c = profile.coverage;
    c.events++;
    if (c.firstEvent === undefined || event.time < c.firstEvent) c.firstEvent = event.time;
    if (c.lastEvent === undefined || event.time > c.lastEvent) c.lastEvent = event.time;
    if (event.process?.key && judged.newProcess(event.process.key)) c.processes++;
    const keys = keysOf(o);
    if (keys.every((k) => judged.has(k))) {
      profile.observations++;
      return;
    }
    observe(profile, o);
    for (const k of keys) judged.add(k);
  }

  /** The deviation of this kind the current event showed, with its evidence. */
  deviation(kind: DeviationKind, event: RuntimeEvent): Deviation | undefined {
    return this.current?.eventId === event.id ? this.current.deviations.find((d) => d.kind === kind) : undefined;
  }

  /** Completes profiles whose learning period has passed (the workload's time moved on without events). */
  tick(now: number): void {
    for (const p of this.profiles.values()) this.completeIfDue(p, now);
  }

  all(): Profile[] {
    return [...this.profiles.values()];
  }

  restore(profiles: readonly Profile[]): void {
    for (const p of profiles) this.profiles.set(p.identity.container, withDefaults(p));
  }

  private profileFor(event: RuntimeEvent, workloadFirstSeen: number): Profile {
    const w = event.workload;
    const container = w.container ?? '';
    let p = this.profiles.get(container);
    if (p) return p;
    const identity = {
      cluster: w.cluster ?? '',
      namespace: w.namespace ?? '',
      workloadKind: w.workloadKind ?? 'Pod',
      workloadName: w.workloadName ?? w.pod ?? '',
      container,
    };
    const imported = this.baselines.get(baselineKey(identity.namespace, identity.workloadName, container));
    if (imported)
      p = {
        ...structuredClone(imported),
        identity: { ...imported.identity, cluster: identity.cluster || imported.identity.cluster },
      };
    else {
      p = emptyProfile(identity, 'learning', 'learned');
      p.learningStartedAt = workloadFirstSeen;
      p.learningEndsAt = workloadFirstSeen + this.learningMs;
    }
    this.profiles.set(container, p);
    return p;
  }

  private completeIfDue(p: Profile, now: number, pod?: string): void {
    if (p.status !== 'learning' || now < (p.learningEndsAt ?? Infinity)) return;
    p.status = 'complete';
    this.rowWrittenAt.set(p, p.learningEndsAt!);
    this.pending.push({ profile: structuredClone(p), time: p.learningEndsAt!, pod });
  }
}

/** Baselines are found by namespace, workload name and container (Kubescape labels name no cluster). */
export function baselineKey(namespace: string, workloadName: string, container: string): string {
  return `${namespace}/${workloadName}/${container}`;
}

/**
 * What one event teaches: the process it names (any event that carries one, so a process started
 * before the stream is learned from its file reads, connections, exit or an alert), plus what the
 * event itself did.
 */
function observationOf(
  event: RuntimeEvent,
  traceTools: Map<string, { time: number; tool: string }[]>,
  streamStart: number,
): Observation | undefined {
  const own = ownObservation(event, traceTools);
  const p = event.process;
  if (!p?.binary) return own;
  const started = p.startTime !== undefined && p.startTime < streamStart;
  const entrypoint = (p.parentBinary !== undefined && RUNTIME_PARENT.test(p.parentBinary)) || started;
  return {
    ...own,
    executable: p.binary,
    process: processPattern(p.binary, p.commandLine),
    entrypoint: entrypoint ? p.binary : undefined,
  };
}

function ownObservation(
  event: RuntimeEvent,
  traceTools: Map<string, { time: number; tool: string }[]>,
): Observation | undefined {
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
      return {
        ...spanEgress(event),
        tool: t.toolName,
        toolTransition: prev && prev !== t.toolName ? `${prev}→${t.toolName}` : undefined,
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

function keysOf(o: Observation): string[] {
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
  return keys;
}

function deviationsOf(p: Profile, o: Observation): Deviation[] {
  const out: Deviation[] = [];
  const profile = p.status === 'imported' ? 'imported' : 'learned';
  const since =
    p.status === 'imported'
      ? `the imported profile (${p.source.join('; ')})`
      : `the profile learned ${iso(p.learningStartedAt)}–${iso(p.learningEndsAt)} from ${p.observations} events`;
  const list = (xs: readonly string[]) =>
    xs.length ? `${xs.slice(0, 6).join(', ')}${xs.length > 6 ? `, … ${xs.length} in all` : ''}` : 'none';
  if (o.executable && !p.executables.some((x) => x === o.executable || pathCovered(x, o.executable!)))
    out.push({
      kind: 'new-executable',
      value: o.executable,
      evidence: `not in ${since}; executables: ${list(p.executables)}`,
      profile,
    });
  if (o.filePath && !p.filePaths.some((x) => pathCovered(x, o.filePath!)))
    out.push({
      kind: 'new-file-path',
      value: collapsePath(o.filePath),
      evidence: `not in ${since}; ${p.filePaths.length} path patterns`,
      profile,
    });
  const dst = o.egress && {
    ip: o.egress.ip,
    port: o.egress.port,
    dns: o.egress.dns[0],
    selector: selectorKey(o.egress),
  };
  if (o.egress && !egressCovered(p, dst!)) {
    out.push({
      kind: 'new-egress',
      value: `${destinationHost(o.egress)}:${o.egress.port ?? '*'}`,
      evidence: `not in ${since}; egress: ${list(p.egress.map((e) => `${destinationHost(e)}:${e.port ?? '*'}`))}`,
      profile,
    });
  }
  if (o.tool && p.status !== 'imported' && !p.tools.includes(o.tool))
    out.push({ kind: 'new-tool', value: o.tool, evidence: `not in ${since}; tools: ${list(p.tools)}`, profile });
  if (o.toolTransition && p.status !== 'imported' && !p.toolTransitions.includes(o.toolTransition))
    out.push({
      kind: 'new-tool-transition',
      value: o.toolTransition,
      evidence: `not in ${since}; transitions: ${list(p.toolTransitions)}`,
      profile,
    });
  return out;
}

function iso(t: number | undefined): string {
  return t === undefined ? '?' : new Date(t).toISOString().slice(11, 19);
}
