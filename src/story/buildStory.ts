/**
 * Builds one version of a story from the episodes of a connected component (DESIGN §4): evidence,
 * signals, edges with reasons, entities, timeline, graph, title, narrative, chain and score.
 * Pure and deterministic: the same episodes always give the same story, whatever order they came in.
 */
import type { Edge, Episode, Signal } from '../model/episode.ts';
import type { Layer, RuntimeEvent } from '../model/event.ts';
import type { GraphNode, Story, StoryEvidence, StoryStatus, TimelineStep } from '../model/story.ts';
import { describeEvent, destinationLabel, processLabel } from '../model/describe.ts';
import { singleLine } from './escape.ts';
import { riskScore } from './score.ts';
import { anchorSignal, evidenceIdFor, storyIdFor } from './storyIds.ts';
import { chainOf, narrativeOf, titleOf } from './narrative.ts';
import { entitiesOf } from './entities.ts';

const LAYER_ORDER: Layer[] = ['prompt', 'agent', 'protocol', 'process', 'file', 'network', 'cloud', 'alert'];

/** The episodes of one component and what joins them. */
export interface StoryInput {
  episodes: readonly Episode[];
  /** Cross-episode edges (called, prompted, same-session, alerted). */
  links: readonly Edge[];
  storySignals: readonly Signal[];
  status: StoryStatus;
}

/** One version of the story of these episodes (version 0: versioning numbers it), or none without a signal. */
export function buildStory(input: StoryInput): Story | undefined {
  const events = new Map<string, RuntimeEvent>();
  const signals = new Map<string, Signal>();
  const edges = new Map<string, Edge>();
  for (const ep of input.episodes) {
    for (const e of ep.evidence) events.set(e.id, e);
    for (const s of ep.signals) signals.set(s.id, s);
    for (const e of ep.edges) edges.set(`${e.from}>${e.to}>${e.reason}`, e);
  }
  for (const s of input.storySignals) signals.set(s.id, s);
  for (const e of input.links) {
    const from = events.get(e.from);
    const to = events.get(e.to);
    if (!from || !to) continue;
    // same-session is symmetric: one edge per pair, from the earlier event to the later.
    const edge =
      e.reason === 'same-session' && (to.time < from.time || (to.time === from.time && e.to < e.from))
        ? { ...e, from: e.to, to: e.from }
        : e;
    edges.set(`${edge.from}>${edge.to}>${edge.reason}`, edge);
  }
  const signalList = [...signals.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
  const anchor = anchorSignal(signalList);
  if (!anchor) return undefined;
  const storyId = storyIdFor(anchor);
  const evidence = [...events.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
  const edgeList = [...edges.values()].sort((a, b) => (a.from + a.to + a.reason < b.from + b.to + b.reason ? -1 : 1));
  const signalsByEvent = new Map<string, string[]>();
  for (const s of signalList) signalsByEvent.set(s.eventId, [...(signalsByEvent.get(s.eventId) ?? []), s.ruleId]);

  const layers = new Set<Layer>();
  for (const e of evidence) if (e.layer !== 'health') layers.add(e.layer);
  const workloads = new Set<string>();
  for (const ep of input.episodes) if (ep.workloadKey) workloads.add(ep.workloadKey);
  const agentNames = sorted(input.episodes.flatMap((e) => e.agentNames));
  const toolNames = sorted(input.episodes.flatMap((e) => e.toolNames));
  const vendors = new Set(evidence.filter((e) => e.kind === 'alert').map((e) => e.source.product));
  const { score, severity, breakdown } = riskScore({
    signals: signalList,
    layers,
    workloads: workloads.size,
    hasToolCall: input.episodes.some((e) => e.kind === 'tool'),
    vendors,
  });

  const evidenceIds = new Map(evidence.map((e) => [e.id, evidenceIdFor(storyId, e.id)]));
  const storyEvidence: StoryEvidence[] = evidence.map((event) => ({
    evidenceId: evidenceIds.get(event.id)!,
    event,
    signals: signalsByEvent.get(event.id) ?? [],
    links: edgeList
      .filter((e) => e.from === event.id)
      .map((e) => ({ reason: e.reason, to: evidenceIds.get(e.to)!, detail: e.detail })),
  }));
  const timeline: TimelineStep[] = storyEvidence.map((se) => ({
    time: new Date(se.event.time).toISOString(),
    layer: se.event.layer,
    kind: se.event.kind,
    summary: singleLine(describeEvent(se.event), 300),
    evidenceId: se.evidenceId,
    signals: se.signals,
  }));
  const nodes: GraphNode[] = storyEvidence.map((se) => ({
    id: se.evidenceId,
    layer: graphLayer(se.event),
    label: singleLine(nodeLabel(se.event), 80),
    evidenceId: se.evidenceId,
  }));
  const graphEdges = edgeList.map((e) => ({
    from: evidenceIds.get(e.from)!,
    to: evidenceIds.get(e.to)!,
    reason: e.reason,
    detail: e.detail,
  }));

  const primary = primaryWorkload(input.episodes, anchor, events);
  const chainSteps = chainOf(evidence, signalsByEvent, edgeList);
  const firstSeen = evidence[0]?.time ?? anchor.time;
  const lastSeen = evidence.at(-1)?.time ?? anchor.time;
  const merged = [
    ...new Set(input.episodes.flatMap((e) => e.evidence.filter((x) => x.alert).map((x) => x.alert!.nativeId))),
  ].sort();
  return {
    storyId,
    version: 0,
    status: input.status,
    mergedStoryIds: [],
    title: titleOf(
      signalList,
      anchor,
      primary,
      sorted(input.episodes.filter((e) => e.kind === 'tool' && e.signals.length).flatMap((e) => e.toolNames)),
      chainSteps,
    ),
    severity,
    riskScore: score,
    riskBreakdown: breakdown,
    cluster: primary.cluster ?? '',
    namespace: primary.namespace ?? '',
    pod: primary.pod ?? '',
    workloads: [...workloads].sort(),
    layers: LAYER_ORDER.filter((l) => layers.has(l)),
    tactics: sorted(signalList.flatMap((s) => s.tactics)),
    techniques: sorted(signalList.flatMap((s) => s.techniques)),
    atlasTechniques: sorted(signalList.flatMap((s) => s.atlas)),
    entities: entitiesOf(evidence, input.episodes),
    timeline,
    graph: { nodes, edges: graphEdges },
    narrative: narrativeOf(evidence, signalsByEvent, input.episodes, edgeList),
    chain: chainSteps.join(' > '),
    signals: signalList,
    firstSeen,
    lastSeen,
    agentNames,
    toolNames,
    alertIds: merged,
    azureResourceId:
      evidence.find((e) => e.alert?.azureResourceId?.toLowerCase().includes('managedclusters'))?.alert
        ?.azureResourceId ?? '',
    evidence: storyEvidence,
  };
}

function sorted(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))].sort();
}

function graphLayer(e: RuntimeEvent): GraphNode['layer'] {
  if (e.kind === 'tool.execute' || (e.kind === 'mcp.request' && e.trace?.spanKind === 'SERVER')) return 'tool';
  return e.layer;
}

function nodeLabel(e: RuntimeEvent): string {
  switch (e.layer) {
    case 'process':
      return e.kind === 'process.exec' ? (e.process?.commandLine ?? processLabel(e)) : describeEvent(e);
    case 'file':
      return e.file?.path ?? 'file';
    case 'network':
      return destinationLabel(e);
    case 'prompt':
    case 'alert':
      return e.alert?.name ?? e.alert?.type ?? 'alert';
    default:
      return e.trace?.toolName ? `${e.kind === 'mcp.request' ? 'MCP ' : ''}${e.trace.toolName}` : describeEvent(e);
  }
}

/** Where the anchor happened: its episode's merged identity (a Falco alert names only the pod). */
function primaryWorkload(episodes: readonly Episode[], anchor: Signal, events: Map<string, RuntimeEvent>) {
  const anchorEvent = events.get(anchor.eventId);
  const home =
    anchorEvent?.layer === 'prompt'
      ? undefined
      : episodes.find((e) => e.workloadKey && e.evidence.some((x) => x.id === anchor.eventId));
  return home?.workload ?? episodes.find((e) => e.workloadKey)?.workload ?? anchorEvent?.workload ?? {};
}
