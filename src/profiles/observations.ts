/**
 * Observations for `policy check`: distinct flows, the stories some of them belong to, and what the
 * addresses seen are (whose pod, which names resolved to them). Built from the events of a replay
 * (every event) or from a tables directory (what the pipeline kept: learned profiles, their
 * deviations and story evidence).
 */
import type { RuntimeEvent } from '../model/event.ts';
import type { Story } from '../model/story.ts';
import type { Row } from '../model/row.ts';
import type { AddressBook } from './egressVerdict.ts';
import { FlowLedger, flowsOfEvent, type FlowWorkload, type ObservedFlow } from './observedFlow.ts';
import type { StoryInfo, Window } from './policyCheck.ts';
import { profilesFromRows } from './profileRows.ts';
import type { Profile } from './profile.ts';

export interface Observations {
  flows: ObservedFlow[];
  book: AddressBook;
  stories: Map<string, StoryInfo>;
  /** Per `namespace/name`, the span of time the workload was watched. */
  windows: Map<string, Window>;
  /** Events (or table rows) the flows came from, and which of the two. */
  records: number;
  recordNoun: 'event' | 'table row';
}

/** Widens a workload's watched window to include a time. */
function widen(
  windows: Map<string, Window>,
  w: { namespace?: string; workloadName?: string; pod?: string },
  t: number,
): void {
  if (!Number.isFinite(t)) return;
  const key = `${w.namespace ?? ''}/${w.workloadName ?? w.pod ?? ''}`;
  const known = windows.get(key);
  if (!known) windows.set(key, { first: t, last: t });
  else {
    if (t < known.first) known.first = t;
    if (t > known.last) known.last = t;
  }
}

const PRIVATE = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/;

/** Addresses learned along the way: pod IPs → workload, resolved addresses → names. */
class Addresses implements AddressBook {
  private readonly owners = new Map<string, { namespace: string; workloadName: string }>();
  private readonly names = new Map<string, Set<string>>();

  owner(ip: string | undefined, w: { namespace?: string; workloadName?: string; pod?: string }): void {
    if (!ip || this.owners.size > 100_000) return;
    this.owners.set(ip, { namespace: w.namespace ?? '', workloadName: w.workloadName ?? w.pod ?? '' });
  }

  name(ip: string | undefined, name: string | undefined): void {
    if (!ip || !name) return;
    const set = this.names.get(ip) ?? new Set<string>();
    if (set.size < 16) set.add(name.replace(/\.$/, '').toLowerCase());
    this.names.set(ip, set);
  }

  workloadOf(ip: string): { namespace: string; workloadName: string } | undefined {
    return this.owners.get(ip);
  }

  namesOf(ip: string): readonly string[] {
    return [...(this.names.get(ip) ?? [])];
  }
}

/** Flows from a stream of events; stories are added once the replay has built them. */
export class EventObservations {
  private readonly ledger = new FlowLedger();
  private readonly addresses = new Addresses();
  private readonly stories = new Map<string, StoryInfo>();
  private readonly assigned = new Set<string>();
  private readonly windows = new Map<string, Window>();
  private records = 0;

  addEvents(events: readonly RuntimeEvent[]): void {
    for (const e of events) {
      this.records++;
      widen(this.windows, e.workload, e.time);
      const n = e.network;
      this.addresses.owner(e.workload.podIp, e.workload);
      if (e.kind === 'network.connect' && n?.srcIp && PRIVATE.test(n.srcIp)) this.addresses.owner(n.srcIp, e.workload);
      if (n?.domain) for (const a of [n.dstIp, ...(n.addresses ?? [])]) this.addresses.name(a, n.domain);
      for (const f of flowsOfEvent(e)) this.ledger.add(f);
    }
  }

  /** The latest version of each story: its evidence events move to the story's flows. */
  addStories(stories: Iterable<Story>): void {
    for (const s of stories) {
      if (s.status === 'merged') continue;
      this.stories.set(s.storyId, { severity: s.severity, title: s.title });
      for (const ev of s.evidence) {
        if (this.assigned.has(ev.event.id)) continue;
        this.assigned.add(ev.event.id);
        for (const f of flowsOfEvent(ev.event)) this.ledger.assignStory(f, s.storyId);
      }
    }
  }

  result(): Observations {
    return {
      flows: this.ledger.all(),
      book: this.addresses,
      stories: this.stories,
      windows: this.windows,
      records: this.records,
      recordNoun: 'event',
    };
  }
}

/** Flows from a tables directory's rows: profile snapshots and deviations, story evidence, stories. */
export function observationsFromTables(tables: { profiles: Row[]; evidence: Row[]; stories: Row[] }): Observations {
  const ledger = new FlowLedger();
  const addresses = new Addresses();
  const stories = new Map<string, StoryInfo & { version: number }>();
  for (const r of tables.stories) {
    const id = String(r.StoryId);
    const version = Number(r.Version ?? 0);
    if ((stories.get(id)?.version ?? -1) <= version)
      stories.set(id, { severity: r.Severity as StoryInfo['severity'], title: String(r.StoryTitle ?? ''), version });
  }
  const windows = new Map<string, Window>();
  const seen = new Set<string>();
  const storyOfEvidence = new Map<string, string>();
  for (const r of tables.evidence) {
    const event = eventOfEvidence(r);
    if (!event || seen.has(`${event.id}/${String(r.StoryId)}`)) continue;
    seen.add(`${event.id}/${String(r.StoryId)}`);
    widen(windows, event.workload, event.time);
    addresses.owner(event.network?.srcIp, event.workload);
    addresses.name(event.network?.dstIp, event.network?.domain);
    for (const f of flowsOfEvent(event, String(r.StoryId))) {
      ledger.add({ ...f, seenIn: 'story evidence' });
      storyOfEvidence.set(deviationKey(f), String(r.StoryId));
    }
  }
  for (const p of profilesFromRows(tables.profiles)) {
    for (const f of flowsOfProfile(p)) ledger.add(f);
    const c = p.coverage;
    for (const t of [c.firstEvent, c.lastEvent, c.watchedUntil]) if (t !== undefined) widen(windows, p.identity, t);
  }
  for (const r of tables.profiles) {
    if (r.RecordType !== 'deviation') continue;
    const f = flowOfDeviation(r);
    if (f) widen(windows, f.workload, f.first);
    // A deviation that is also story evidence is already there, with its process.
    if (f && !storyOfEvidence.has(deviationKey(f))) ledger.add({ ...f, storyId: r.StoryId as string | undefined });
  }
  return {
    flows: ledger.all(),
    book: addresses,
    stories,
    windows,
    records: tables.profiles.length + tables.evidence.length,
    recordNoun: 'table row',
  };
}

function workloadOfRow(r: Row): FlowWorkload {
  return {
    cluster: String(r.Cluster ?? ''),
    namespace: String(r.Namespace ?? ''),
    workloadKind: String(r.WorkloadKind ?? 'Pod'),
    workloadName: String(r.WorkloadName ?? r.Pod ?? ''),
    container: String(r.Container ?? ''),
  };
}

/** An evidence row back as the event it cites (only what flows need). */
function eventOfEvidence(r: Row): RuntimeEvent | undefined {
  const time = Date.parse(String(r.TimeGenerated));
  if (Number.isNaN(time) || typeof r.Kind !== 'string') return undefined;
  const w = workloadOfRow(r);
  return {
    id: String(r.EventId ?? r.EvidenceId),
    layer: r.Layer as RuntimeEvent['layer'],
    kind: r.Kind as RuntimeEvent['kind'],
    time,
    source: { product: String(r.Source ?? ''), format: String(r.SourceFormat ?? ''), nativeId: '' },
    workload: { ...w, pod: r.Pod as string | undefined },
    process: r.TargetProcessName
      ? { key: String(r.ProcessKey ?? r.EventId), binary: String(r.TargetProcessName) }
      : undefined,
    network:
      r.DstIpAddr || r.DstDomain
        ? {
            srcIp: r.SrcIpAddr as string | undefined,
            dstIp: r.DstIpAddr as string | undefined,
            dstPort: r.DstPortNumber as number | undefined,
            protocol: r.NetworkProtocol as string | undefined,
            domain: r.DstDomain as string | undefined,
          }
        : undefined,
  };
}

/** What a learned profile saw, as flows over its learning window (no process or pod is known per value). */
function flowsOfProfile(p: Profile): ObservedFlow[] {
  const first = p.coverage.firstEvent ?? p.learningEndsAt ?? 0;
  const last = p.coverage.lastEvent ?? first;
  const base = { workload: p.identity, first, last, count: 1, seenIn: 'learned profile' };
  const out: ObservedFlow[] = [];
  for (const e of p.egress) {
    if (!e.ip && !e.dns.length) continue; // selectors: an imported profile, not an observation
    const dst = { ...(e.ip && e.ip !== '*' ? { ip: e.ip } : {}), ...(e.dns[0] ? { domain: e.dns[0] } : {}) };
    if (e.http?.length)
      for (const h of e.http) out.push({ ...base, kind: 'http', ...dst, port: e.port, protocol: 'TCP', ...h });
    else out.push({ ...base, kind: 'connect', ...dst, port: e.port, protocol: e.protocol });
  }
  for (const d of p.dnsNames) out.push({ ...base, kind: 'dns', domain: d });
  for (const x of p.executables) out.push({ ...base, kind: 'exec', executable: x, process: x });
  for (const s of p.syscalls) out.push({ ...base, kind: 'syscall', syscalls: [s] });
  return out;
}

/** A deviation row: the first time a value outside the profile was seen. */
function flowOfDeviation(r: Row): ObservedFlow | undefined {
  const time = Date.parse(String(r.TimeGenerated));
  const value = String(r.DeviationValue ?? '');
  const base = { workload: workloadOfRow(r), pod: r.Pod as string | undefined, first: time, last: time, count: 1 };
  if (Number.isNaN(time) || !value) return undefined;
  if (r.DeviationKind === 'new-executable')
    return { ...base, kind: 'exec', executable: value, process: value, seenIn: 'profile deviation' };
  if (r.DeviationKind !== 'new-egress') return undefined;
  const at = value.lastIndexOf(':');
  const host = at > 0 ? value.slice(0, at) : value;
  const port = Number(value.slice(at + 1));
  const isAddress = /^[\d.]+$/.test(host) || host.includes(':');
  return {
    ...base,
    kind: 'connect',
    ...(isAddress ? { ip: host } : { domain: host }),
    port: Number.isInteger(port) ? port : undefined,
    protocol: 'TCP',
    seenIn: 'profile deviation',
  };
}

function deviationKey(f: ObservedFlow): string {
  return `${f.workload.namespace}/${f.workload.workloadName}|${f.kind}|${f.ip ?? f.domain ?? f.executable ?? ''}|${f.port ?? ''}`;
}
