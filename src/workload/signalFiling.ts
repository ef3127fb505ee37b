/**
 * Signal filing: evaluates the rules on an event and files each signal with the episodes that own
 * the event (its tool calls or turn), or else with the signal episode of its process tree, adding
 * the process chain that shows how it came to run. A runtime alert also joins the episodes that
 * own the process it names. A tag that completes an `after` rule re-checks recent connections.
 */
import type { RuntimeEvent } from '../model/event.ts';
import type { Signal } from '../model/episode.ts';
import type { SignalContext, SignalEngine } from '../signals/engine.ts';
import { addEdge, addEvidence, addSignal, edge, NO_EPISODES, reasonFor } from './episodes.ts';
import { processForAlert, RUNTIME_PARENT } from './lineage.ts';
import { workloadSignalState } from './signalState.ts';
import { newEpisodeState, type EpisodeState, type ProcNode, type WorkloadState } from './state.ts';

/** What filing needs from the stage's options. */
export interface FilingEnv {
  signals: SignalEngine;
  learningPeriodMs: number;
  /** Tags an `after` rule waits for: filing one re-checks the pod's recent connections. */
  afterTags: ReadonlySet<string>;
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
  const linked = event.kind === 'alert' ? linkAlert(w, event, owners) : NO_EPISODES;
  const all = linked.length ? [...owners, ...linked] : owners;
  const ctx: SignalContext = {
    inToolCall: all.some((o) => o.kind === 'tool'),
    workloadRoles: w.roles,
    state: workloadSignalState(w, pod, env.signals, env.learningPeriodMs),
  };
  const signals = env.signals.evaluate(event, ctx, onlyContextRules);
  if (!signals.length) return;
  const homes = all.length ? all : [signalEpisode(w, event, pod)];
  for (const s of signals) file(w, s, event, homes, pod, env);
}

function file(
  w: WorkloadState,
  signal: Signal,
  event: RuntimeEvent,
  homes: readonly EpisodeState[],
  pod: string,
  env: FilingEnv,
): void {
  const max = w.limits.maxEvidence;
  for (const ep of homes) {
    addSignal(ep, signal, event, max);
    addChain(w, ep, event);
    w.dirty.add(ep.id);
  }
  const tags = env.signals.tagsByRule.get(signal.ruleId) ?? [];
  for (const tag of tags) {
    w.tagged.push({ tag, time: event.time, eventId: event.id, pod });
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
      const homes = owners.length ? owners : [signalEpisode(w, e, pod)];
      if (homes.some((h) => h.signals.has(s.id))) continue;
      for (const ep of homes) {
        addSignal(ep, s, e, w.limits.maxEvidence);
        addChain(w, ep, e);
        w.dirty.add(ep.id);
      }
    }
  }
}

/** The tool episodes that already hold this event. */
function ownersOf(w: WorkloadState, event: RuntimeEvent): EpisodeState[] {
  const out: EpisodeState[] = [];
  for (const ep of w.episodes.values()) if (ep.kind === 'tool' && ep.evidence.has(event.id)) out.push(ep);
  return out;
}

/** Signals outside any tool call gather per process tree (the topmost known ancestor in the pod). */
function signalEpisode(w: WorkloadState, event: RuntimeEvent, pod: string): EpisodeState {
  let root = event.process?.key ?? `pod:${pod}`;
  const seen = new Set<string>();
  let node = event.process ? w.processes.get(event.process.key) : undefined;
  if (!node && event.process) node = processForAlert(w, event);
  // Walk up the known lineage; an unseen parent (exec'd before our data) still names the tree,
  // so siblings under it share one episode. Runtime parents (containerd-shim) do not.
  const unseenParent = (p: RuntimeEvent['process']) =>
    p?.parentKey && !RUNTIME_PARENT.test(p.parentBinary ?? '') ? p.parentKey : undefined;
  if (!node) root = unseenParent(event.process) ?? root;
  while (node && !seen.has(node.key)) {
    seen.add(node.key);
    root = node.key;
    const parent = node.parentKey ? w.processes.get(node.parentKey) : undefined;
    if (!parent) {
      root = unseenParent(node.exec?.process) ?? root;
      break;
    }
    node = parent;
  }
  const id = `ep:signal:${w.key}:${pod}:${root}`;
  let ep = w.episodes.get(id);
  if (!ep) w.episodes.set(id, (ep = newEpisodeState(id, 'signal', pod, event.time)));
  return ep;
}

/** Adds the event's process chain (exec events, spawned edges) so the story shows how it came to run. */
function addChain(w: WorkloadState, ep: EpisodeState, event: RuntimeEvent): void {
  const max = w.limits.maxEvidence;
  let node: ProcNode | undefined = event.process
    ? (w.processes.get(event.process.key) ?? processForAlert(w, event))
    : undefined;
  if (node?.exec && node.exec.id !== event.id) {
    addEvidence(ep, node.exec, max, true);
    addEdge(ep, edge(node.exec.id, event.id, event.kind === 'alert' ? 'alerted' : reasonFor(event), 'same process'));
  }
  for (let depth = 0; node?.parentKey && depth < 16; depth++) {
    const parent = w.processes.get(node.parentKey);
    if (!parent?.exec || !node.exec) break;
    addEvidence(ep, parent.exec, max, true);
    addEdge(ep, edge(parent.exec.id, node.exec.id, 'spawned', 'exec_id → parent_exec_id'));
    node = parent;
  }
}

/** Episodes (beyond `owners`) that own the process an alert names; the alert joins them. */
function linkAlert(w: WorkloadState, alert: RuntimeEvent, owners: readonly EpisodeState[]): readonly EpisodeState[] {
  const proc = processForAlert(w, alert);
  if (!proc?.exec) return NO_EPISODES;
  const linked: EpisodeState[] = [];
  for (const id of w.procEpisodes.get(proc.key) ?? []) {
    const ep = w.episodes.get(id);
    if (!ep || owners.includes(ep)) continue;
    addEvidence(ep, alert, w.limits.maxEvidence, true);
    addEdge(
      ep,
      edge(proc.exec.id, alert.id, 'alerted', `${alert.source.product} named pid ${proc.pid} in the same container`),
    );
    linked.push(ep);
    w.dirty.add(ep.id);
  }
  return linked;
}
