/**
 * Behavioural baselines (DESIGN §4 "profiles"): per workload and container, what it was seen to do
 * while learning — executables, file path patterns, egress destinations, tools and tool-to-tool
 * transitions, syscalls when a sensor reports them — or what a Kubescape ApplicationProfile /
 * NetworkNeighborhood says it does. After learning, anything outside the profile is a deviation.
 *
 * Paths are kept as patterns: dynamic segments (pids, uuids, hashes, long numbers) collapse to `⋯`
 * (U+22EF), Kubescape's marker for one dynamic segment, so learned and imported profiles compare.
 */
import { ipInCidr } from '../common/ipAddress.ts';
import { uuidFrom } from '../common/hash.ts';

/** Kubescape's dynamic-segment marker (one path segment). */
export const DYNAMIC = '⋯';

export interface ProfileIdentity {
  cluster: string;
  namespace: string;
  workloadKind: string;
  workloadName: string;
  container: string;
}

/** One HTTP call pattern seen on a destination: the method and the path pattern (`⋯` for a dynamic segment). */
export interface HttpCall {
  method: string;
  path: string;
}

export interface Egress {
  /** An IP or CIDR; empty when only a name or a selector is known. */
  ip: string;
  port?: number;
  protocol: string;
  /** DNS names the destination was reached by, when known (trailing dot removed). */
  dns: string[];
  /** In-cluster destinations named by selectors (imported profiles). */
  podSelector?: Record<string, string>;
  namespaceSelector?: Record<string, string>;
  /** HTTP calls seen to this destination (OTel HTTP client spans), sorted; absent when none were seen. */
  http?: HttpCall[];
  /** Whether the calls were made over TLS (`url.scheme` https, or port 443): L7 rules then need TLS inspection. */
  tls?: boolean;
}

/** How much a profile saw while learning, so a thin profile shows as thin. */
export interface ProfileCoverage {
  /** Events that taught it (inside the learning window). */
  events: number;
  /** Distinct processes (by process key) those events came from. */
  processes: number;
  firstEvent?: number;
  lastEvent?: number;
  /**
   * The latest event of the container, learning or not: how long the profile has been watched
   * (what `policy graduate` needs to know from a tables directory).
   */
  watchedUntil?: number;
}

export type ProfileStatus = 'learning' | 'complete' | 'imported';

export interface Profile {
  id: string;
  identity: ProfileIdentity;
  status: ProfileStatus;
  /** `learned`, or the import source (e.g. `kubescape ApplicationProfile log4j-poc/chain-backend`). */
  source: string[];
  learningStartedAt?: number;
  learningEndsAt?: number;
  /** Events that went into it (evidence for drafts). */
  observations: number;
  /** The pods' labels (NetworkNeighborhood matchLabels, or the sensor's pod labels). */
  podLabels?: Record<string, string>;
  executables: string[];
  /** Processes seen, as `binary args-pattern` (dynamic arguments collapsed to `⋯`), however they were seen. */
  processes: string[];
  /**
   * Executables of processes that were already running when the stream began or that the container
   * runtime started: the workload's own entrypoints, as opposed to what it spawned.
   */
  entrypoints: string[];
  filePaths: string[];
  egress: Egress[];
  /** Names the workload resolved (DNS lookups, or the host of an HTTP call). */
  dnsNames: string[];
  tools: string[];
  toolTransitions: string[];
  syscalls: string[];
  coverage: ProfileCoverage;
  /**
   * Routine keys (routine.ts: executable → path and → destination pairs, destinations, process
   * patterns, tool sequences) with the earliest event time that taught each while learning. In
   * snapshots, not in the table: it is how signals learn, not a policy.
   */
  routine?: Record<string, number>;
}

export type DeviationKind = 'new-executable' | 'new-file-path' | 'new-egress' | 'new-tool' | 'new-tool-transition';

export function profileId(i: ProfileIdentity): string {
  return uuidFrom(`causeway-profile:${i.cluster}/${i.namespace}/${i.workloadKind}/${i.workloadName}/${i.container}`);
}

export function emptyProfile(identity: ProfileIdentity, status: ProfileStatus, source: string): Profile {
  return {
    id: profileId(identity),
    identity,
    status,
    source: [source],
    observations: 0,
    executables: [],
    processes: [],
    entrypoints: [],
    filePaths: [],
    egress: [],
    dnsNames: [],
    tools: [],
    toolTransitions: [],
    syscalls: [],
    coverage: { events: 0, processes: 0 },
  };
}

/** A profile from an older snapshot or table row gets the lists it did not have yet. */
export function withDefaults(p: Profile): Profile {
  p.processes ??= [];
  p.entrypoints ??= [];
  p.dnsNames ??= [];
  p.coverage ??= { events: p.observations ?? 0, processes: 0 };
  return p;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEXISH = /^[0-9a-f]{16,}$/i;
const NUMBER = /^\d+$/;
/** A segment with a long run of digits or hex inside (`tmp.x8f3a9c2e1d`, `session-123456`). */
const EMBEDDED = /(\d{4,}|[0-9a-f]{12,})/i;

/** `/proc/4242/fd/7` → `/proc/⋯/fd/⋯`; `/tmp/7f9c…e1/x` → `/tmp/⋯/x`. */
export function collapsePath(path: string): string {
  if (!path.startsWith('/')) return path;
  return path
    .split('/')
    .map((seg) =>
      seg && (NUMBER.test(seg) || UUID.test(seg) || HEXISH.test(seg) || (seg.length > 6 && EMBEDDED.test(seg)))
        ? DYNAMIC
        : seg,
    )
    .join('/');
}

/**
 * Whether a pattern covers a path: segment by segment, `⋯` (or `*`) for any one segment, `⋯` inside
 * a segment for any characters; a pattern covers what is under it (Kubescape profiles list
 * directories such as `/opt/java/openjdk/lib`).
 */
export function pathCovered(pattern: string, path: string): boolean {
  const p = pattern.split('/');
  const x = path.split('/');
  if (x.length < p.length) return false;
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg === DYNAMIC || seg === '*') continue;
    if (seg.includes(DYNAMIC)) {
      const re = new RegExp(`^${seg.split(DYNAMIC).map(escapeRegex).join('.*')}$`);
      if (!re.test(x[i]!)) return false;
    } else if (seg !== x[i]) return false;
  }
  return true;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * One destination: its address, or (known only by name, as HTTP calls are) its names, or (in the
 * cluster) its selectors, with port and protocol.
 */
export function egressKey(
  e: Pick<Egress, 'ip' | 'port' | 'protocol'> & Partial<Pick<Egress, 'dns' | 'podSelector' | 'namespaceSelector'>>,
): string {
  const selector = selectorKey(e) && `sel:${selectorKey(e)}`;
  return `${e.protocol}/${e.ip || (e.dns?.length ? `name:${e.dns.join(',')}` : selector)}:${e.port ?? '*'}`;
}

/** Whether a destination is inside the profile's egress (IP or CIDR match, port, or a known DNS name). */
export function egressCovered(
  profile: Profile,
  dst: { ip?: string; port?: number; protocol?: string; dns?: string; selector?: string },
): boolean {
  const name = dst.dns?.replace(/\.$/, '').toLowerCase();
  return profile.egress.some((e) => {
    if (e.port !== undefined && dst.port !== undefined && e.port !== dst.port) return false;
    if (e.ip === '*') return true;
    if (e.ip && dst.ip && ipInCidr(dst.ip, e.ip)) return true;
    if (dst.selector && dst.selector === selectorKey(e)) return true;
    return !!name && e.dns.includes(name);
  });
}

/** An in-cluster destination's selectors as one comparable string (empty when it has none). */
export function selectorKey(e: Pick<Egress, 'podSelector' | 'namespaceSelector'>): string {
  return e.podSelector || e.namespaceSelector ? JSON.stringify([e.namespaceSelector ?? {}, e.podSelector ?? {}]) : '';
}

function addSorted(list: string[], value: string, cap: number): boolean {
  if (list.includes(value) || list.length >= cap) return false;
  list.push(value);
  list.sort();
  return true;
}

/** Caps per profile: a profile that would grow past these is not a baseline any more. */
export const PROFILE_CAPS = {
  executables: 256,
  processes: 256,
  filePaths: 1024,
  egress: 512,
  dnsNames: 512,
  httpCalls: 64,
  tools: 256,
  toolTransitions: 1024,
  syscalls: 512,
  routine: 2048,
};

/** Records a routine key at the earliest time it was taught (bounded: past the cap, nothing new). */
function teachRoutine(profile: Profile, key: string, time: number): boolean {
  const routine = (profile.routine ??= {});
  const known = routine[key];
  if (known !== undefined && known <= time) return false;
  if (known === undefined && Object.keys(routine).length >= PROFILE_CAPS.routine) return false;
  routine[key] = time;
  return true;
}

/** Adds one observation; returns whether the profile changed. */
export function observe(
  profile: Profile,
  o: {
    executable?: string;
    process?: string;
    entrypoint?: string;
    filePath?: string;
    egress?: Egress;
    dnsName?: string;
    tool?: string;
    toolTransition?: string;
    syscall?: string;
    routine?: string[];
  },
  time = -Infinity,
): boolean {
  let changed = false;
  withDefaults(profile);
  profile.observations++;
  if (o.executable) changed = addSorted(profile.executables, o.executable, PROFILE_CAPS.executables) || changed;
  if (o.process) changed = addSorted(profile.processes, o.process, PROFILE_CAPS.processes) || changed;
  if (o.entrypoint) changed = addSorted(profile.entrypoints, o.entrypoint, PROFILE_CAPS.executables) || changed;
  if (o.dnsName) changed = addSorted(profile.dnsNames, o.dnsName, PROFILE_CAPS.dnsNames) || changed;
  if (o.filePath) changed = addSorted(profile.filePaths, collapsePath(o.filePath), PROFILE_CAPS.filePaths) || changed;
  if (o.tool) changed = addSorted(profile.tools, o.tool, PROFILE_CAPS.tools) || changed;
  if (o.toolTransition)
    changed = addSorted(profile.toolTransitions, o.toolTransition, PROFILE_CAPS.toolTransitions) || changed;
  if (o.syscall) changed = addSorted(profile.syscalls, o.syscall, PROFILE_CAPS.syscalls) || changed;
  for (const r of o.routine ?? []) changed = teachRoutine(profile, r, time) || changed;
  if (o.egress) {
    const key = egressKey(o.egress);
    const known = profile.egress.find((e) => egressKey(e) === key);
    if (known) {
      for (const d of o.egress.dns) {
        if (known.dns.includes(d)) continue;
        known.dns.push(d);
        known.dns.sort();
        changed = true;
      }
      for (const call of o.egress.http ?? []) changed = addHttpCall(known, call) || changed;
      if (o.egress.tls && !known.tls) changed = known.tls = true;
    } else if (profile.egress.length < PROFILE_CAPS.egress) {
      profile.egress.push({ ...o.egress, dns: [...o.egress.dns].sort() });
      profile.egress.sort((a, b) => (egressKey(a) < egressKey(b) ? -1 : 1));
      changed = true;
    }
  }
  return changed;
}

function addHttpCall(e: Egress, call: HttpCall): boolean {
  const calls = (e.http ??= []);
  if (calls.length >= PROFILE_CAPS.httpCalls || calls.some((c) => c.method === call.method && c.path === call.path))
    return false;
  calls.push(call);
  calls.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  return true;
}

/** Folds an imported profile into another for the same container (an AP and an NN). */
export function mergeProfiles(into: Profile, from: Profile): Profile {
  withDefaults(into);
  withDefaults(from);
  for (const s of from.source) if (!into.source.includes(s)) into.source.push(s);
  for (const x of from.executables) addSorted(into.executables, x, Infinity);
  for (const x of from.processes) addSorted(into.processes, x, Infinity);
  for (const x of from.entrypoints) addSorted(into.entrypoints, x, Infinity);
  for (const x of from.dnsNames) addSorted(into.dnsNames, x, Infinity);
  for (const x of from.filePaths) addSorted(into.filePaths, x, Infinity);
  for (const x of from.tools) addSorted(into.tools, x, Infinity);
  for (const x of from.toolTransitions) addSorted(into.toolTransitions, x, Infinity);
  for (const x of from.syscalls) addSorted(into.syscalls, x, Infinity);
  for (const e of from.egress) {
    const known = into.egress.find(
      (k) => egressKey(k) === egressKey(e) && JSON.stringify(k.podSelector) === JSON.stringify(e.podSelector),
    );
    if (!known) {
      into.egress.push(structuredClone(e));
      continue;
    }
    for (const d of e.dns) addSorted(known.dns, d, Infinity);
    for (const call of e.http ?? []) addHttpCall(known, call);
    if (e.tls) known.tls = true;
  }
  into.observations += from.observations;
  const a = into.coverage;
  const b = from.coverage;
  into.coverage = {
    events: a.events + b.events,
    processes: a.processes + b.processes,
    firstEvent: minDefined(a.firstEvent, b.firstEvent),
    lastEvent: maxDefined(a.lastEvent, b.lastEvent),
    watchedUntil: maxDefined(a.watchedUntil, b.watchedUntil),
  };
  return into;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
