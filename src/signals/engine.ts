/**
 * The signal engine: compiled rule packs, indexed by event kind. Pure: stateful conditions ask
 * the caller's SignalState (the workload stage's state, or the story), so the engine itself can
 * be shared by every partition and every stage.
 */
import type { DeviationKind } from '../profiles/profile.ts';
import type { Signal } from '../model/episode.ts';
import { SEVERITY_RANK, type RuntimeEvent, type Severity } from '../model/event.ts';
import type { Routine, RoutineKind } from '../profiles/routine.ts';
import { describeEvent } from '../model/describe.ts';
import { compileTest, fieldGetter, globToRegExp, type Predicate } from './match.ts';
import type { RuleDefinition, RulePack } from './rulePack.ts';
import { DEFAULT_PACK, loadRulePacks } from './loadRules.ts';
import { protocolCondition, type ProtocolState } from './protocolBaselines.ts';

export type WorkloadRole = 'agent' | 'mcp-server';

/** What the evaluating stage knows about the event beyond its own fields. */
export interface SignalContext {
  /** The event's process ran inside an MCP tool call. */
  inToolCall: boolean;
  workloadRoles: ReadonlySet<WorkloadRole>;
  /** Absent in stateless evaluation (ingest): stateful rules are then skipped. */
  state?: SignalState;
}

/** Stateful questions a rule may ask; answered by the workload stage (or the story stage). */
export interface SignalState {
  /** True when `key` is new for this workload/agent and its learning period is over (records it either way). */
  firstSeen(per: 'workload' | 'agent', event: RuntimeEvent, key: string): boolean;
  /** How the event falls outside its container's profile, with the profile evidence (else undefined). */
  deviation?(kind: DeviationKind, event: RuntimeEvent, profile?: 'learned' | 'imported'): string | undefined;
  /** The most recent event carrying one of `tags` within `withinMs` before `event`, if any. */
  taggedBefore(
    tags: readonly string[],
    withinMs: number,
    event: RuntimeEvent,
  ): { eventId: string; tag: string } | undefined;
  /** In the event's agent turn, a benign tool was called before this high-risk one. */
  toolJump(event: RuntimeEvent, risk: ToolRisk): string | undefined;
  /** Protocol baselines (bursts, values that vary per key, outliers); absent in story scope. */
  protocol?: ProtocolState;
  /** Whether what the event shows is in its container's baseline (absent: nothing is routine). */
  routine?(kind: RoutineKind, event: RuntimeEvent): Routine;
}

export type ToolRisk = 'high' | 'privileged' | 'benign' | 'unknown';

export interface CompiledRule {
  def: RuleDefinition;
  kinds: ReadonlySet<string>;
  matches: Predicate;
  usesContext: boolean;
  stateful: boolean;
  keyGetters: ((e: RuntimeEvent) => unknown)[];
}

export class SignalEngine {
  private readonly byKind = new Map<string, CompiledRule[]>();
  readonly storyRules: CompiledRule[] = [];
  readonly rules: CompiledRule[] = [];
  private readonly highRisk: RegExp[];
  private readonly privileged: RegExp[];
  private readonly benign: RegExp[];
  /** Tags a rule puts on the events it fires on (e.g. sensitive-read). */
  readonly tagsByRule = new Map<string, readonly string[]>();

  /** `packs`: the rule packs as loaded (plain data: a worker thread builds the same engine from them). */
  constructor(readonly packs: readonly RulePack[]) {
    this.highRisk = packs.flatMap((p) => p.toolRisk?.high ?? []).map((g) => globToRegExp(g.toLowerCase()));
    this.privileged = packs.flatMap((p) => p.toolRisk?.privileged ?? []).map((g) => globToRegExp(g.toLowerCase()));
    this.benign = packs.flatMap((p) => p.toolRisk?.benign ?? []).map((g) => globToRegExp(g.toLowerCase()));
    for (const def of packs.flatMap((p) => p.rules)) {
      const rule = compileRule(def);
      this.rules.push(rule);
      this.tagsByRule.set(def.id, def.tags ?? []);
      if (def.scope === 'story') {
        this.storyRules.push(rule);
        continue;
      }
      for (const k of def.when.kind) {
        let list = this.byKind.get(k);
        if (!list) this.byKind.set(k, (list = []));
        list.push(rule);
      }
    }
  }

  /** Loads the default pack plus any extra packs (start-up; throws ConfigError with coded problems). */
  static load(extraPacks: readonly string[] = []): SignalEngine {
    return new SignalEngine(loadRulePacks([DEFAULT_PACK, ...extraPacks]).map((l) => l.pack));
  }

  /** True when some event-scope rule for this kind needs tool context (re-evaluate on attribution). */
  hasContextRules(kind: string): boolean {
    return (this.byKind.get(kind) ?? []).some((r) => r.usesContext);
  }

  toolRisk(toolName: string | undefined): ToolRisk {
    if (!toolName) return 'unknown';
    const n = toolName.toLowerCase();
    if (this.highRisk.some((r) => r.test(n))) return 'high';
    if (this.privileged.some((r) => r.test(n))) return 'privileged';
    if (this.benign.some((r) => r.test(n))) return 'benign';
    return 'unknown';
  }

  /** Signals raised by event-scope rules. `onlyContextRules` re-evaluates just the context-dependent ones. */
  evaluate(event: RuntimeEvent, ctx: SignalContext, onlyContextRules = false): Signal[] {
    const rules = this.byKind.get(event.kind);
    if (!rules) return [];
    let out: Signal[] | undefined;
    for (const rule of rules) {
      if (onlyContextRules && !rule.usesContext) continue;
      const reason = this.fires(rule, event, ctx);
      if (reason === undefined) continue;
      const signal = learned(rule.def, makeSignal(rule.def, event, reason), event, ctx.state);
      if (signal) (out ??= []).push(signal);
    }
    return out ?? [];
  }

  /** Evaluates one story-scope rule against an event of a story, with the story as state. */
  evaluateStoryRule(rule: CompiledRule, event: RuntimeEvent, state: SignalState): Signal | undefined {
    if (!rule.kinds.has(event.kind) || !rule.matches(event)) return undefined;
    const reason = this.condition(rule, event, state);
    return reason === undefined ? undefined : learned(rule.def, makeSignal(rule.def, event, reason), event, state);
  }

  private fires(rule: CompiledRule, event: RuntimeEvent, ctx: SignalContext): string | undefined {
    const context = rule.def.when.context;
    if (context) {
      if (context.inToolCall !== undefined && context.inToolCall !== ctx.inToolCall) return undefined;
      if (context.workloadRole && !context.workloadRole.some((r) => ctx.workloadRoles.has(r))) return undefined;
      if (context.toolRisk && !context.toolRisk.includes(this.toolRisk(event.trace?.toolName))) return undefined;
    }
    if (!rule.matches(event)) return undefined;
    if (!rule.stateful) return describeEvent(event);
    if (!ctx.state) return undefined;
    return this.condition(rule, event, ctx.state);
  }

  private condition(rule: CompiledRule, event: RuntimeEvent, state: SignalState): string | undefined {
    const c = rule.def.condition!;
    if (c.deviation) {
      const { kind, profile } =
        typeof c.deviation === 'string' ? { kind: c.deviation, profile: undefined } : c.deviation;
      const why = state.deviation?.(kind, event, profile);
      return why ? `${describeEvent(event)} (${kind} ${why})` : undefined;
    }
    if (c.firstSeen) {
      const key = rule.keyGetters.map((g) => String(g(event) ?? '')).join('|');
      return state.firstSeen(c.firstSeen.per, event, `${rule.def.id}:${key}`)
        ? `${describeEvent(event)} (first time for this ${c.firstSeen.per})`
        : undefined;
    }
    if (c.after) {
      const before = state.taggedBefore(c.after.tags, c.after.withinSeconds * 1000, event);
      return before ? `${describeEvent(event)} after a ${before.tag} (${before.eventId})` : undefined;
    }
    if (c.burst || c.varies || c.outlier)
      return state.protocol ? protocolCondition(rule, event, state.protocol) : undefined;
    if (c.toolJump) {
      const risk = this.toolRisk(event.trace?.toolName);
      if (risk !== 'high') return undefined;
      const from = state.toolJump(event, risk);
      return from
        ? `high-risk tool ${event.trace?.toolName} after benign tool ${from} in the same agent turn`
        : undefined;
    }
    return undefined;
  }
}

function compileRule(def: RuleDefinition): CompiledRule {
  const all = (def.when.all ?? []).map(compileTest);
  const any = (def.when.any ?? []).map(compileTest);
  const none = (def.when.none ?? []).map(compileTest);
  const matches: Predicate = (e) =>
    all.every((p) => p(e)) && (any.length === 0 || any.some((p) => p(e))) && !none.some((p) => p(e));
  return {
    def,
    kinds: new Set(def.when.kind),
    matches,
    // toolRisk is a property of the event itself, not of where it ran: it needs no re-evaluation.
    usesContext: def.when.context?.inToolCall !== undefined || def.when.context?.workloadRole !== undefined,
    stateful: def.condition !== undefined,
    keyGetters: (
      def.condition?.firstSeen?.key ??
      def.condition?.burst?.key ??
      def.condition?.varies?.key ??
      def.condition?.outlier?.key ??
      []
    ).map(fieldGetter),
  };
}

/**
 * Signals learn (DESIGN §4.1): a rule with `unlessRoutine` stays quiet on what the container's
 * baseline holds, and fires at Low while the profile is still learning and has not seen it yet.
 */
function learned(def: RuleDefinition, signal: Signal, event: RuntimeEvent, state?: SignalState): Signal | undefined {
  if (!def.unlessRoutine || !state?.routine) return signal;
  const routine = state.routine(def.unlessRoutine, event);
  if (routine === 'routine') return undefined;
  if (routine === 'new') return signal;
  return {
    ...signal,
    severity: SEVERITY_RANK[signal.severity] > SEVERITY_RANK.Low ? 'Low' : signal.severity,
    reason: `${signal.reason} (while the workload's profile is still learning: not known yet whether this is routine)`,
  };
}

function makeSignal(def: RuleDefinition, event: RuntimeEvent, reason: string): Signal {
  const alert = event.alert;
  const severity: Severity = def.severity === 'fromAlert' ? (alert?.severity ?? 'Medium') : def.severity;
  const tactics = new Set(def.tactics ?? []);
  const techniques = new Set(def.techniques ?? []);
  if (def.inheritMitre && alert) {
    for (const t of alert.tactics) tactics.add(t);
    for (const t of alert.techniques) techniques.add(t);
  }
  return {
    id: `${def.id}:${event.id}`,
    ruleId: def.id,
    name: def.severity === 'fromAlert' && alert ? `${def.name}: ${alert.name}` : def.name,
    severity,
    tactics: [...tactics],
    techniques: [...techniques],
    atlas: def.atlas ?? [],
    eventId: event.id,
    time: event.time,
    reason,
    // Defender alerts arrive 10-30 minutes after the activity (reference/defender-formats.md).
    delayed: event.source.product === 'defender',
  };
}
