/**
 * Signal filing: evaluates the rules on an event and files each signal with the episodes that own
 * the event (its tool calls or turn), or else with the episode of its process tree, adding the
 * process chain that shows how it came to run. A runtime alert first resolves to the process it
 * names (lineage.resolveProcess) and joins every episode of that process (DESIGN §4.1 "alerts
 * join the process they name"); an alert that names no process joins the one story active in its
 * container, when there is exactly one. A tag that completes an `after` rule re-checks recent
 * connections.
 */
import type { RuntimeEvent } from '../model/event.ts';
import type { Signal } from '../model/episode.ts';
import type { SignalContext, SignalEngine } from '../signals/engine.ts';
import { addEdge, addEvidence, addSignal, edge, NO_EPISODES, reasonFor } from './episodes.ts';
import { resolveProcess, treeOf, type ResolvedProcess } from './lineage.ts';
import { treeEpisode } from './processTrees.ts';
import { rememberOrphanAlert } from './lateArrivals.ts';
import { workloadSignalState } from './signalState.ts';
import type { EpisodeState, ProcNode, WorkloadState } from './state.ts';

/** What filing needs from the stage's options. */
export interface FilingEnv {
  signals: SignalEngine;
  learningPeriodMs: number;
  /** Tags an `after` rule waits for: filing one re-checks the pod's recent connections. */
  afterTags: ReadonlySet<string>;
  /** How long (event time) an alert that names only its container may join that container's story. */
  allowedLatenessMs: number;
}

/** Tags remembered per workload for `after` rules. */
const MAX_TAGGED = 256;

/**
 * Evaluates signals on one event and files them with the episodes that own it. With
 * `onlyContextRules`, only rules that depend on the context (a tool call that arrived late) run.
 */
export function evaluate(
  w: WorkloadState,
  event: RuntimeEvent,
  pod: string,
  owners: readonly EpisodeState[],
  env: FilingEnv,
  onlyContextRules = false,
): void {
  const resolved = event.kind === 'alert' ? resolveProcess(w, event) : undefined;
  const linked = event.kind === 'alert' ? linkAlert(w, event, owners, resolved, env) : NO_EPISODES;
  const all = linked.length ? [...owners, ...linked] : owners;
  const ctx: SignalContext = {
    inToolCall: all.some((o) => o.kind === 'tool'),
    workloadRoles: w.roles,
    state: workloadSignalState(w, pod, env.signals, env.learningPeriodMs),
  };
  const signals = env.signals.evaluate(event, ctx, onlyContextRules);
  if (!signals.length) return;
  const homes = all.length ? all : [homeOf(w, event, pod, resolved)];
  for (const s of signals) file(w, s, event, homes, pod, env, resolved);
  // An alert that names a process we do not know yet: when it starts, the alert joins it.
  if (event.kind === 'alert' && !resolved && !all.length && event.process?.pid !== undefined)
    rememberOrphanAlert(w, event, homes[0]!.id);
}

/** The tree episode an event's signal goes to when no tool call or turn owns it. */
function homeOf(w: WorkloadState, event: RuntimeEvent, pod: string, resolved?: ResolvedProcess): EpisodeState {
  const proc = resolved?.proc ?? (event.process ? w.processes.get(event.process.key) : undefined);
  return treeEpisode(w, pod, proc, event.process?.key ?? `pod:${pod}`, event.time);
}

function file(
  w: WorkloadState,
  signal: Signal,
  event: RuntimeEvent,
  homes: readonly EpisodeState[],
  pod: string,
  env: FilingEnv,
  resolved?: ResolvedProcess,
): void {
  const max = w.limits.maxEvidence;
  for (const ep of homes) {
    addSignal(ep, signal, event, max);
    addChain(w, ep, event, resolved);
    ep.lastActive = Math.max(ep.lastActive, event.time);
    w.dirty.add(ep.id);
  }
  const tags = env.signals.tagsByRule.get(signal.ruleId) ?? [];
  for (const tag of tags) {
    w.tagged.push({ tag, time: event.time, eventId: event.id, pod, root: treeOf(w, event, resolved) });
    if (w.tagged.length > MAX_TAGGED) w.tagged.splice(0, w.tagged.length - MAX_TAGGED);
    if (env.afterTags.has(tag)) recheckAfter(w, event, pod, env);
  }
}

/** A tag that arrived late may complete an `after` rule for events already seen: check them again. */
function recheckAfter(w: WorkloadState, tagged: RuntimeEvent, pod: string, env: FilingEnv): void {
  for (const e of w.buffer(pod).toArray()) {
    if (e.time < tagged.time || e.id === tagged.id || e.kind !== 'network.connect') continue;
    const owners = ownersOf(w, e);
    const ctx: SignalContext = {
      inToolCall: owners.some((o) => o.kind === 'tool'),
      workloadRoles: w.roles,
      state: workloadSignalState(w, pod, env.signals, env.learningPeriodMs),
    };
    for (const s of env.signals.evaluate(e, ctx)) {
      if (s.ruleId.startsWith('CW-EGRESS-NEW')) continue;
      const homes = owners.length ? owners : [homeOf(w, e, pod)];
      if (homes.some((h) => h.signals.has(s.id))) continue;
      for (const ep of homes) {
        addSignal(ep, s, e, w.limits.maxEvidence);
        addChain(w, ep, e);
        w.dirty.add(ep.id);
      }
    }
  }
}

/** The episodes that already hold this event (tool calls, or the tree it grew into). */
function ownersOf(w: WorkloadState, event: RuntimeEvent): EpisodeState[] {
  const out: EpisodeState[] = [];
  for (const ep of w.episodes.values())
    if ((ep.kind === 'tool' || ep.kind === 'signal') && ep.evidence.has(event.id)) out.push(ep);
  return out;
}

/**
 * Adds the event's process chain up to its tree's root (exec events, spawned edges) so the story
 * shows how it came to run. An alert's chain starts at the process it resolved to.
 */
function addChain(w: WorkloadState, ep: EpisodeState, event: RuntimeEvent, resolved?: ResolvedProcess): void {
  const max = w.limits.maxEvidence;
  let node: ProcNode | undefined = event.process
    ? (resolved?.proc ?? w.processes.get(event.process.key) ?? resolveProcess(w, event)?.proc)
    : undefined;
  // A service's own exec (a server started long ago) is not added for what it does in-process: the
  // event's row names it, and a shared exec would tie every call the service served together. An
  // alert about the service itself is about that process: it is shown.
  if (node?.exec && node.exec.id !== event.id && (event.kind === 'alert' || !servesOthers(w, node))) {
    addEvidence(ep, node.exec, max, true);
    const alerted = event.kind === 'alert';
    const detail = alerted ? `${event.source.product} names ${resolved?.via ?? 'the process'}` : 'same process';
    addEdge(ep, edge(node.exec.id, event.id, alerted ? 'alerted' : reasonFor(event), detail));
  }
  // A service (a server, the container's main process) is shown, never owned: owning it would
  // pull everything it does later into this episode.
  if (node && !servesOthers(w, node)) {
    ep.processKeys.add(node.key);
    w.ownEpisode(node.key, ep.id);
  }
  // Up to the tree's root. The service that started the root (a server, the container's main
  // process, started long before) is named by the root's exec row (its parent), not added: it is
  // context every story of that container would share.
  const root = node?.rootKey ?? node?.key;
  for (let depth = 0; node && node.key !== root && node.parentKey && depth < 32; depth++) {
    const parent = w.processes.get(node.parentKey);
    if (!parent?.exec || !node.exec || servesOthers(w, parent)) break;
    addEvidence(ep, parent.exec, max, true);
    addEdge(ep, edge(parent.exec.id, node.exec.id, 'spawned', 'exec_id → parent_exec_id'));
    ep.processKeys.add(parent.key);
    w.ownEpisode(parent.key, ep.id);
    node = parent;
  }
}

function servesOthers(w: WorkloadState, p: ProcNode): boolean {
  return p.service === true || p.mcpServer === true || w.mainProcesses.has(p.key);
}

/**
 * The episodes (beyond `owners`) an alert joins: every episode that holds the process it names,
 * with the key that matched; or, when it names no process we know but names its container, the
 * one signalled episode active in that container.
 */
function linkAlert(
  w: WorkloadState,
  alert: RuntimeEvent,
  owners: readonly EpisodeState[],
  resolved: ResolvedProcess | undefined,
  env: FilingEnv,
): readonly EpisodeState[] {
  if (!resolved) return containerStory(w, alert, owners, env);
  const { proc, via } = resolved;
  if (!proc.exec) return NO_EPISODES;
  const linked: EpisodeState[] = [];
  for (const id of w.procEpisodes.get(proc.key) ?? []) {
    const ep = w.episodes.get(id);
    if (!ep || owners.includes(ep)) continue;
    addEvidence(ep, alert, w.limits.maxEvidence, true);
    addEdge(ep, edge(proc.exec.id, alert.id, 'alerted', `${alert.source.product} names ${via}`));
    linked.push(ep);
    w.dirty.add(ep.id);
  }
  return linked;
}

/** An alert about a container (no process): the one story active there, if there is exactly one. */
function containerStory(
  w: WorkloadState,
  alert: RuntimeEvent,
  owners: readonly EpisodeState[],
  env: FilingEnv,
): readonly EpisodeState[] {
  if (alert.process || owners.length) return NO_EPISODES;
  const pod = alert.workload.pod;
  if (!pod) return NO_EPISODES;
  const active = [...w.episodes.values()].filter(
    (ep) =>
      ep.pod === pod &&
      ep.signals.size > 0 &&
      (ep.kind === 'signal' || ep.kind === 'tool') &&
      Math.abs(alert.time - ep.lastActive) <= env.allowedLatenessMs,
  );
  if (active.length !== 1) return NO_EPISODES;
  const ep = active[0]!;
  addEvidence(ep, alert, w.limits.maxEvidence, true);
  const anchor = [...ep.signals.values()][0]!;
  addEdge(
    ep,
    edge(anchor.eventId, alert.id, 'alerted', `${alert.source.product} names the same pod, the one story there`),
  );
  w.dirty.add(ep.id);
  return [ep];
}
