/**
 * Profiles of one workload, one per container, learned from its events or imported: during the
 * learning period (from the workload's first event) what it does goes into the profile; after it
 * (or at once for an imported profile) what falls outside is a deviation. Deviations are looked up
 * by the signal rules (`condition.deviation`) and become CausewayProfiles_CL rows, as does each
 * profile when its learning completes. Part of the workload's snapshot.
 */
import type { RuntimeEvent } from '../model/event.ts';
import { deviationsOf, type Deviation } from './deviations.ts';
import { effectsOf, keysOf, observationOf, routineKeysOf, type Observation, type TraceTools } from './observation.ts';
import { emptyProfile, observe, withDefaults, type DeviationKind, type Profile } from './profile.ts';
import { isRoutine, type Routine, type RoutineKind } from './routine.ts';

export type { Deviation };

export interface ProfileRecord {
  profile: Profile;
  time: number;
  pod?: string;
  deviation?: { kind: DeviationKind; value: string };
}

/** A watched profile's snapshot row is written again at most this often (event time), to say until when. */
const WATCH_ROW_MS = 24 * 3_600_000;
/** Values already judged per profile (inside it, or already reported as new): bounded. */
const MAX_JUDGED = 4096;
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
/**
 * Events this soon after a profile's learning window are judged leniently (a value it has not seen
 * is `learning`, not `new`): within the allowed lateness, an event from the window may still arrive
 * and teach it. Sensors on different nodes and batching exporters deliver minutes apart.
 */
const LEARNING_GRACE_MS = 5 * 60_000;

/** The event being handled: its deviations, and whether it is routine, per kind once a rule asked. */
interface CurrentEvent {
  eventId: string;
  deviations: readonly Deviation[];
  learning: boolean;
  profile: Profile;
  observation: Observation;
  time: number;
  routine: Partial<Record<RoutineKind, boolean>>;
}

const NO_DEVIATIONS: readonly Deviation[] = Object.freeze([]);

function allJudged(judged: Judged, keys: readonly string[]): boolean {
  for (const k of keys) if (!judged.has(k)) return false;
  return true;
}

export class ProfileBook {
  private readonly profiles = new Map<string, Profile>();
  private readonly judged = new Map<Profile, Judged>();

  /** Per trace, the tool calls seen so far in event-time order (for transitions). */
  private readonly traceTools: TraceTools = new Map();
  /** Deviations and routine of the event being handled, for the signal rules that ask. */
  private current: CurrentEvent | undefined;
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
      return NO_DEVIATIONS;
    }
    const profile = this.profileFor(event, workloadFirstSeen);
    // The window starts at the workload's first event in event time: an earlier event that arrives
    // late moves it (while it is still open), so the window does not depend on arrival order.
    if (profile.status === 'learning' && workloadFirstSeen < (profile.learningStartedAt ?? Infinity)) {
      profile.learningStartedAt = workloadFirstSeen;
      profile.learningEndsAt = workloadFirstSeen + this.learningMs;
    }
    this.completeIfDue(profile, now, event.workload.pod);
    this.watch(profile, event.time);
    // Leniency while learning is for the workload's own long-running processes (the agent, the
    // server): a short-lived program it starts (a shell's `cat`, a `curl`) is judged in full.
    const own = !event.process || !!o.entrypoint;
    const learning =
      own && (profile.status === 'learning' || event.time < (profile.learningEndsAt ?? 0) + LEARNING_GRACE_MS);
    // What is routine is judged when a rule asks (routine()): as before this event taught, since
    // teaching only moves a key's time to this event's, which does not count as before it.
    this.current = {
      eventId: event.id,
      deviations: NO_DEVIATIONS,
      learning: learning && profile.status !== 'imported',
      profile,
      observation: o,
      time: event.time,
      routine: {},
    };
    let judged = this.judged.get(profile);
    if (!judged) this.judged.set(profile, (judged = new Judged()));
    // An event from inside the learning window teaches, even when it arrives after the profile
    // completed (within the allowed lateness, arrival order is not event order).
    if (profile.status !== 'imported' && event.time < (profile.learningEndsAt ?? 0)) {
      this.teach(profile, judged, event, o);
      return NO_DEVIATIONS;
    }
    // After learning, a process is judged where it starts (its exec), as the signal rules expect:
    // a kernel event that arrives before its exec must not use up the exec's deviation.
    if (event.kind !== 'process.exec') o = effectsOf(o);
    const keys = keysOf(o);
    // Each value is judged once: inside the profile, or a deviation reported the first time.
    if (allJudged(judged, keys)) return NO_DEVIATIONS;
    const deviations = deviationsOf(profile, o);
    for (const k of keys) judged.add(k);
    for (const d of deviations)
      this.pending.push({
        profile: structuredClone(profile),
        time: event.time,
        pod: event.workload.pod,
        deviation: { kind: d.kind, value: d.value },
      });
    this.current.deviations = deviations;
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
    if (allJudged(judged, keys)) {
      profile.observations++;
      // Known values, but an earlier event (arriving late) moves their routine time back.
      for (const k of o.routine ?? [])
        if (event.time < (profile.routine?.[k] ?? Infinity)) profile.routine![k] = event.time;
      return;
    }
    observe(profile, o, event.time);
    for (const k of keys) judged.add(k);
  }

  /**
   * Whether what the current event shows is in its container's baseline for one kind: `routine`,
   * `learning` (the profile is still learning and has not seen it yet), or `new`.
   */
  routine(kind: RoutineKind, event: RuntimeEvent): Routine {
    const c = this.current;
    if (c?.eventId === event.id) {
      const routine = (c.routine[kind] ??= isRoutine(
        c.profile,
        c.observation,
        kind,
        c.time,
        routineKeysOf(c.observation),
      ));
      return routine ? 'routine' : c.learning ? 'learning' : 'new';
    }
    // A rule re-checks an earlier event (an `after` rule completed late): judge it again from the
    // profile as it stands (routine is what earlier events taught, so the answer is the same).
    const profile = this.profiles.get(event.workload.container ?? '');
    const o = observationOf(event, new Map(), profile?.learningStartedAt ?? -Infinity);
    if (!o || !profile) return 'new';
    if (isRoutine(profile, o, kind, event.time)) return 'routine';
    const own = !event.process || !!o.entrypoint;
    const learning =
      own && (profile.status === 'learning' || event.time < (profile.learningEndsAt ?? 0) + LEARNING_GRACE_MS);
    return learning && profile.status !== 'imported' ? 'learning' : 'new';
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
