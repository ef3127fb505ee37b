/**
 * The causal steps of a story: the prompt alert, the agent turn, the tool calls, processes, files,
 * destinations and alerts that lead to a signal, in causal order, each naming the edge that led to
 * it ("called", "ran-in-tool", "spawned", "prompted", …) and the step it came from. The narrative,
 * the terminal, the viewer and the Sentinel incident all render these steps. Attacker-controlled
 * values stay apart from our words (`{ value }` parts) so every medium can escape them its way.
 */
import type { Edge, Signal } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { baseName } from '../common/paths.ts';
import { destinationLabel, describeEvent, processLabel } from '../model/describe.ts';
import { singleLine } from './escape.ts';
import { promptWords } from './promptWords.ts';

/** Our words (a string) or an attacker-influenced value (`{ value }`). */
export type StepPart = string | { value: string };

export interface StoryStep {
  /** 1-based. */
  n: number;
  time: number;
  eventId: string;
  parts: StepPart[];
  /** The edge into this step and the step it came from. */
  edge?: { reason: Edge['reason']; from: number };
  /** Names of the rules raised on it (our words, from the rule pack). */
  signals: string[];
  /** The event is one of a repeated group (the row budget counted the rest). */
  repeated?: { count: number; last: number };
}

/** What the steps are made from: the shown events of a story and how they link. */
export interface StepsInput {
  events: readonly RuntimeEvent[];
  edges: readonly Edge[];
  signals: readonly Signal[];
  /** Where each workload-bound event ran (`namespace/workload`), for tool steps. */
  whereOf: (e: RuntimeEvent) => string;
  /** First example event id → its repeated group. */
  repeats: ReadonlyMap<string, { count: number; last: number }>;
  /** Further examples of repeated groups: shown in the timeline, not as steps (the first one says "repeated"). */
  hidden: ReadonlySet<string>;
}

/** Steps shown at most; the rest are counted ("… N more steps"). */
export const MAX_STEPS = 25;

/** Which edge explains a step best when several lead into it. */
const REASON_ORDER: Edge['reason'][] = [
  'prompted',
  'called',
  'ran-in-tool',
  'spawned',
  'accessed',
  'connected',
  'resolved',
  'alerted',
  'identity-used-from-exfil-destination',
  'credential-used',
  'same-session',
];

const rank = (r: string) => {
  const i = REASON_ORDER.indexOf(r as Edge['reason']);
  return i < 0 ? 3.5 : i; // a reason this list does not know yet (descendant-of) ranks with spawned
};

/** The causal steps of a story (all of them; renderers cut at MAX_STEPS). */
export function storySteps(input: StepsInput): StoryStep[] {
  const byId = new Map(input.events.map((e) => [e.id, e]));
  const into = new Map<string, Edge[]>();
  for (const e of input.edges) {
    if (!byId.has(e.from) || !byId.has(e.to)) continue;
    const list = into.get(e.to) ?? [];
    list.push(e);
    into.set(e.to, list);
  }
  for (const list of into.values()) list.sort((a, b) => rank(a.reason) - rank(b.reason) || (a.from < b.from ? -1 : 1));
  const names = new Map<string, string[]>();
  for (const s of input.signals) names.set(s.eventId, [...(names.get(s.eventId) ?? []), s.name.split(': ')[0]!]);

  const worthy = worthyOf(input.events);
  // A cloud event is in a story only through a credential edge: what the stolen credential did is a step.
  const flagged = input.events
    .filter((e) => names.has(e.id) || e.layer === 'prompt' || e.layer === 'cloud')
    .map((e) => e.id);
  const selected = new Set<string>();
  const stepWorthy = (e: RuntimeEvent) => worthy(e) && !input.hidden.has(e.id);
  for (const id of flagged) for (const c of causes(id, into)) if (stepWorthy(byId.get(c)!)) selected.add(c);
  if (!selected.size) for (const e of input.events) if (stepWorthy(e)) selected.add(e.id);

  const parent = new Map<string, { reason: Edge['reason']; from: string }>();
  for (const id of selected) {
    const p = nearestSelected(id, into, selected);
    if (p) parent.set(id, p);
  }
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  const time = (id: string) => byId.get(id)!.time;
  for (const id of selected) {
    const p = parent.get(id);
    if (p) children.set(p.from, [...(children.get(p.from) ?? []), id]);
    else roots.push(id);
  }
  // The prompt is the cause: it leads even though Defender timestamps it mid-turn.
  const promptFirst = (a: string, b: string) =>
    Number(byId.get(b)!.layer === 'prompt') - Number(byId.get(a)!.layer === 'prompt') ||
    time(a) - time(b) ||
    (a < b ? -1 : 1);
  const order: string[] = [];
  const visit = (id: string) => {
    order.push(id);
    for (const c of (children.get(id) ?? []).sort(promptFirst)) visit(c);
  };
  for (const r of roots.sort(promptFirst)) visit(r);

  const number = new Map(order.map((id, i) => [id, i + 1]));
  return order.map((id, i) => {
    const e = byId.get(id)!;
    const p = parent.get(id);
    return {
      n: i + 1,
      time: e.time,
      eventId: id,
      parts: partsOf(e, input.whereOf),
      ...(p ? { edge: { reason: p.reason, from: number.get(p.from)! } } : {}),
      signals: e.kind === 'alert' ? [] : [...new Set(names.get(id) ?? [])],
      ...(input.repeats.has(id) ? { repeated: input.repeats.get(id)! } : {}),
    };
  });
}

/** Events that make a step: not model calls, exits or the client half of a tool call. */
function worthyOf(events: readonly RuntimeEvent[]): (e: RuntimeEvent) => boolean {
  const served = new Set(
    events
      .filter((e) => e.kind === 'mcp.request' && e.trace?.spanKind === 'SERVER')
      .map((e) => `${e.trace?.traceId}|${e.trace?.toolName}`),
  );
  return (e) => {
    switch (e.kind) {
      case 'llm.chat':
      case 'process.exit':
      case 'network.close':
        return false;
      case 'mcp.request':
        return e.trace?.spanKind === 'SERVER';
      case 'tool.execute':
        return !served.has(`${e.trace?.traceId}|${e.trace?.toolName}`);
      default:
        return e.layer !== 'health';
    }
  };
}

/** The event and its causes, walking edges backwards. */
function causes(id: string, into: ReadonlyMap<string, Edge[]>): Set<string> {
  const out = new Set<string>();
  const queue = [id];
  while (queue.length) {
    const x = queue.pop()!;
    if (out.has(x)) continue;
    out.add(x);
    for (const e of into.get(x) ?? []) if (e.reason !== 'same-session') queue.push(e.from);
  }
  return out;
}

/** The closest selected cause, breadth first along the best edges; the edge named is the one into the step. */
function nearestSelected(
  id: string,
  into: ReadonlyMap<string, Edge[]>,
  selected: ReadonlySet<string>,
): { reason: Edge['reason']; from: string } | undefined {
  for (const first of into.get(id) ?? []) {
    if (first.reason === 'same-session') continue;
    const seen = new Set([id]);
    const queue = [first.from];
    while (queue.length) {
      const x = queue.shift()!;
      if (seen.has(x)) continue;
      seen.add(x);
      if (selected.has(x)) return { reason: first.reason, from: x };
      for (const e of into.get(x) ?? []) if (e.reason !== 'same-session') queue.push(e.from);
    }
  }
  return undefined;
}

function partsOf(e: RuntimeEvent, whereOf: (e: RuntimeEvent) => string): StepPart[] {
  const val = (value: string | undefined) => ({ value: value ?? '' });
  switch (e.kind) {
    case 'agent.invoke':
      return ['agent ', val(e.trace?.agentName ?? e.workload.serviceName), ' ran a turn'];
    case 'mcp.request':
    case 'tool.execute':
      return ['tool ', val(e.trace?.toolName ?? e.trace?.mcpMethod), ' ran in ', val(whereOf(e))];
    case 'process.exec':
      return [val(processLabel(e)), ' started: ', val(e.process?.commandLine ?? e.process?.binary)];
    case 'file.open':
    case 'file.read':
    case 'file.write':
    case 'file.mmap': {
      const verb = e.file?.operation === 'write' ? ' wrote ' : e.file?.operation === 'mmap' ? ' mapped ' : ' read ';
      return [val(processLabel(e)), verb, val(e.file?.path)];
    }
    case 'network.connect':
      return [val(processLabel(e)), ' connected to ', val(destinationLabel(e))];
    case 'dns.query':
      return [val(processLabel(e)), ' resolved ', val(e.network?.domain)];
    case 'alert': {
      if (e.layer === 'prompt' && e.alert) {
        const ctx: StepPart[] = [];
        if (e.alert.applicationName) ctx.push('application ', val(e.alert.applicationName));
        if (e.alert.sourceIp) ctx.push(ctx.length ? ', source IP ' : 'source IP ', val(e.alert.sourceIp));
        return [
          `Defender for AI: ${promptWords(e.alert.type).toLowerCase()}`,
          ...(ctx.length ? [' (', ...ctx, ')'] : []),
        ];
      }
      return [`${product(e.source.product)} alert: `, val(e.alert?.name ?? e.alert?.type)];
    }
    default:
      return [val(describeEvent(e) || baseName(e.kind))];
  }
}

function product(p: string): string {
  return p ? p[0]!.toUpperCase() + p.slice(1) : 'Sensor';
}

/** `10:01:03.320` (UTC). */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** One step as plain text (raw values, one line; renderers escape): the narrative's line. */
export function stepLine(s: StoryStep, value: (v: string) => string = (x) => singleLine(x, 120)): string {
  const text = s.parts.map((p) => (typeof p === 'string' ? p : value(p.value))).join('');
  const edge = s.edge ? ` (${s.edge.reason}, from step ${s.edge.from})` : '';
  const repeated = s.repeated
    ? ` — repeated ${s.repeated.count.toLocaleString('en-US')} times until ${clock(s.repeated.last)}`
    : '';
  const flagged = s.signals.length ? ` — ${s.signals.join('; ')}` : '';
  return `${s.n}. ${clock(s.time)} ${text}${edge}${flagged}${repeated}`;
}
