/**
 * The row budget (issue 14, finding 5): one story row stays under STORY_ROW_BUDGET however loud the
 * attacker is. A signalling action repeated 100,000 times must not grow the row past what the Logs
 * Ingestion API accepts (1 MB per call) or what Log Analytics keeps whole (64 KB per field value),
 * or the incident would never reach Sentinel. Repeated events collapse into counted groups (first
 * and last seen, count, examples); the causal skeleton (the first event of every rule and its
 * causes) is always kept; and the row's Summarised column says what was left out.
 */
import type { Edge } from '../model/episode.ts';
import type { Layer, RuntimeEvent } from '../model/event.ts';
import { describeEvent, processLabel } from '../model/describe.ts';
import { singleLine } from './escape.ts';
import { causesOf, IncomingEdges } from './incomingEdges.ts';

/** The budget of one story row. Every figure is bytes of UTF-8 JSON unless it says otherwise. */
export const STORY_ROW_BUDGET = {
  /** The whole row: a quarter of the Logs Ingestion API's 1 MB per call. */
  rowBytes: 256 * 1024,
  /** Timeline and Graph each: Log Analytics truncates a field value past 64 KB (and breaks its JSON). */
  timelineBytes: 48 * 1024,
  graphBytes: 48 * 1024,
  signalsBytes: 32 * 1024,
  entitiesBytes: 32 * 1024,
  summaryBytes: 16 * 1024,
  /** Each list column (ToolNames, AgentNames, AlertIds, Workloads, MergedStoryIds). */
  listBytes: 4 * 1024,
  /** Events shown one by one in the timeline, graph and evidence rows; past it, repeats are grouped. */
  maxEvents: 100,
  /** Events of a repeated group still shown one by one: the first ones. */
  examples: 3,
  /** Groups listed in Summarised; further groups are counted in the note. */
  maxGroups: 24,
  /** Values per entity kind (Sentinel keeps 50 values per custom detail). */
  maxEntityValues: 50,
  /** Characters of one entity value. */
  maxEntityChars: 256,
} as const;

/** Events left out of the timeline and graph, as one counted group. */
export interface SelectedGroup {
  label: string;
  layer: Layer;
  kind: string;
  count: number;
  first: number;
  last: number;
  /** Event ids of the group's events that stay shown (at most `examples` of them). */
  examples: string[];
  /** Every shown event of the group (the skeleton's included). */
  shown: string[];
  rules: string[];
  signalsLeftOut: number;
}

/** Which events a story shows one by one, and how the others are grouped. */
export interface Selection {
  /** Shown events, in time order. */
  kept: RuntimeEvent[];
  keptIds: Set<string>;
  /** Events on the attack path: flagged events and their causes. */
  path: Set<string>;
  groups: SelectedGroup[];
  /** Left-out event id → index in groups. */
  groupOf: Map<string, number>;
  /** Signals raised on left-out events. */
  signalsLeftOut: number;
  /** The shown events and the first event of every exact repeat: whose entities the story lists. */
  representatives: RuntimeEvent[];
}

/**
 * From exact repeats to ever coarser kinds of event: each level is a projection of the one before.
 * Up to the kind level, events with different signals never share a group.
 */
const LEVELS: { key: (e: RuntimeEvent) => string; byRules: boolean; label: (e: RuntimeEvent) => string }[] = [
  {
    key: (e) =>
      [
        e.layer,
        e.kind,
        e.process?.binary,
        e.process?.commandLine,
        e.file?.path,
        e.file?.operation,
        e.network?.domain ?? e.network?.dstIp,
        e.network?.dstPort,
        e.trace?.toolName,
        e.trace?.mcpMethod,
        e.trace?.spanKind,
        e.trace?.model,
        e.alert?.type,
        e.alert?.name,
      ].join('\u0000'),
    byRules: true,
    label: (e) => describeEvent(e),
  },
  {
    key: (e) => [e.layer, e.kind, actor(e)].join('\u0000'),
    byRules: true,
    label: (e) => `${e.kind} by ${actor(e) || 'unknown'}`,
  },
  { key: (e) => `${e.layer}\u0000${e.kind}`, byRules: true, label: (e) => `${e.kind} events` },
  { key: (e) => e.layer, byRules: false, label: (e) => `${e.layer} events` },
];

function actor(e: RuntimeEvent): string {
  if (e.alert) return `${e.source.product} ${e.alert.type}`;
  if (e.trace?.toolName) return e.trace.toolName;
  return e.process ? processLabel(e) : (e.trace?.agentName ?? e.workload.serviceName ?? '');
}

/**
 * Chooses the events a story shows one by one. A story within the budget shows every event. Past
 * it, groups of like events (exact repeats first, then ever coarser kinds) keep their first events
 * and are counted, largest first, until the budget holds; the attack's skeleton (prompt
 * alerts, the first event of each rule and the causes of those) stays whole.
 */
export function selectEvents(
  events: readonly RuntimeEvent[],
  signalsByEvent: ReadonlyMap<string, readonly string[]>,
  edges: readonly Edge[],
  max: number = STORY_ROW_BUDGET.maxEvents,
): Selection {
  const causes = new IncomingEdges(edges);
  const flaggedCauses = (shown: readonly RuntimeEvent[]) =>
    causesOf(
      shown.filter((e) => signalsByEvent.has(e.id)).map((e) => e.id),
      causes,
    );
  if (events.length <= max)
    return {
      kept: [...events],
      keptIds: new Set(events.map((e) => e.id)),
      path: flaggedCauses(events),
      groups: [],
      groupOf: new Map(),
      signalsLeftOut: 0,
      representatives: [...events],
    };

  const skeleton = skeletonOf(events, signalsByEvent, causes, Math.floor(max / 2));
  const kept = new Uint8Array(events.length).fill(1);
  let keptCount = events.length;
  let buckets: number[][] = [];
  let representatives: RuntimeEvent[] = [];
  let level = 0;
  for (; level < LEVELS.length && keptCount > max; level++) {
    buckets = bucketsAt(events, signalsByEvent, level);
    if (level === 0) representatives = buckets.map((b) => events[b[0]!]!);
    for (const members of buckets) {
      keptCount -= thin(members, kept, events, skeleton, STORY_ROW_BUDGET.examples);
      if (keptCount <= max) break;
    }
  }
  // Only a skeleton larger than the budget gets here: the causes of the latest events go first.
  if (keptCount > max)
    for (let i = events.length - 1; i >= 0 && keptCount > max; i--)
      if (kept[i] && !signalsByEvent.has(events[i]!.id)) {
        kept[i] = 0;
        keptCount--;
      }
  const used = Math.max(0, level - 1);
  const selection = groupSelection(events, signalsByEvent, kept, buckets, LEVELS[used]!.label, used < 3);
  // The attack path among the shown events: flagged ones and their causes (the skeleton keeps those).
  const path = new Set<string>();
  for (const id of flaggedCauses(selection.kept)) if (selection.keptIds.has(id)) path.add(id);
  return { ...selection, path, representatives };
}

/**
 * Exact shapes, remembered per event object: a hammered story is rebuilt every version from the
 * same events, and the shape is the costly part of grouping them.
 */
const exactShapes = new WeakMap<RuntimeEvent, string>();

/** Buckets of event indices by shape, largest first (ties by first event), members in time order. */
function bucketsAt(
  events: readonly RuntimeEvent[],
  signalsByEvent: ReadonlyMap<string, readonly string[]>,
  level: number,
): number[][] {
  const { key, byRules } = LEVELS[level]!;
  const byKey = new Map<string, Map<string, number[]>>();
  events.forEach((e, i) => {
    let k = level === 0 ? exactShapes.get(e) : undefined;
    if (k === undefined) {
      k = key(e);
      if (level === 0) exactShapes.set(e, k);
    }
    const rules = byRules ? signalsByEvent.get(e.id) : undefined;
    const r = !rules ? '' : rules.length === 1 ? rules[0]! : rules.join(',');
    let inner = byKey.get(k);
    if (!inner) byKey.set(k, (inner = new Map()));
    const list = inner.get(r);
    if (list) list.push(i);
    else inner.set(r, [i]);
  });
  return [...byKey.values()]
    .flatMap((inner) => [...inner.values()])
    .sort((a, b) => b.length - a.length || a[0]! - b[0]!);
}

/**
 * Leaves the first shown events of a bucket (and its skeleton); returns how many it hid. The first
 * ones, not the latest: examples that stay put keep a growing story's versions and evidence rows
 * still (the group's count and last-seen time say how it goes on).
 */
function thin(
  members: readonly number[],
  kept: Uint8Array,
  events: readonly RuntimeEvent[],
  skeleton: ReadonlySet<string>,
  examples: number,
): number {
  let shown = 0;
  let hidden = 0;
  for (const i of members) {
    if (!kept[i] || skeleton.has(events[i]!.id)) continue;
    if (shown < examples) shown++;
    else {
      kept[i] = 0;
      hidden++;
    }
  }
  return hidden;
}

function groupSelection(
  events: readonly RuntimeEvent[],
  signalsByEvent: ReadonlyMap<string, readonly string[]>,
  kept: Uint8Array,
  buckets: number[][],
  label: (e: RuntimeEvent) => string,
  sameRules: boolean,
): Omit<Selection, 'path' | 'representatives'> {
  const groups: SelectedGroup[] = [];
  const groupOf = new Map<string, number>();
  let signalsLeftOut = 0;
  for (const members of buckets) {
    let hidden = 0;
    for (const i of members) if (!kept[i]) hidden++;
    if (!hidden) continue;
    const first = events[members[0]!]!;
    // Up to the kind level the shape includes the rule ids: every member carries the first one's.
    const rules = new Set<string>(signalsByEvent.get(first.id) ?? []);
    let leftOut = 0;
    const shownIds: string[] = [];
    for (const i of members) {
      const id = events[i]!.id;
      if (kept[i]) {
        shownIds.push(id);
        continue;
      }
      groupOf.set(id, groups.length);
      const r = sameRules ? rules : (signalsByEvent.get(id) ?? []);
      if (!sameRules) for (const x of r) rules.add(x);
      leftOut += sameRules ? rules.size : (r as readonly string[]).length;
    }
    signalsLeftOut += leftOut;
    groups.push({
      label: singleLine(label(first), 160),
      layer: first.layer,
      kind: first.kind,
      count: members.length,
      first: first.time,
      last: events[members.at(-1)!]!.time,
      examples: shownIds.slice(0, STORY_ROW_BUDGET.examples),
      shown: shownIds,
      rules: [...rules].sort(),
      signalsLeftOut: leftOut,
    });
  }
  const shown = events.filter((_, i) => kept[i]);
  return { kept: shown, keptIds: new Set(shown.map((e) => e.id)), groups, groupOf, signalsLeftOut };
}

/** Prompt alerts, the first event of each rule, and their causes: never grouped away. */
function skeletonOf(
  events: readonly RuntimeEvent[],
  signalsByEvent: ReadonlyMap<string, readonly string[]>,
  into: IncomingEdges,
  cap: number,
): Set<string> {
  const firsts: string[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const rules = signalsByEvent.get(e.id);
    if (e.layer === 'prompt' || rules?.some((r) => !seen.has(r))) firsts.push(e.id);
    if (rules) for (const r of rules) seen.add(r);
  }
  return causesOf(firsts.reverse(), into, cap);
}
