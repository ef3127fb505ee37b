/**
 * Builds one version of a story from the episodes of a connected component (DESIGN §4): evidence,
 * signals, edges with reasons, entities, timeline, graph, title, causal steps, incident description,
 * chain and score, all within the row budget (storyBudget.ts).
 * Pure and deterministic: the same episodes always give the same story, whatever order they came in.
 */
import type { Edge, Episode, Signal } from '../model/episode.ts';
import type { Layer, RuntimeEvent } from '../model/event.ts';
import type { Story, StoryEvidence, StoryStatus } from '../model/story.ts';
import { riskScore } from './score.ts';
import { anchorSignal, evidenceIdFor, storyIdFor } from './storyIds.ts';
import { chainLine, chainOf, narrativeOf } from './narrative.ts';
import { entitiesOf } from './entities.ts';
import { selectEvents, STORY_ROW_BUDGET, type Selection } from './storyBudget.ts';
import { summaryOf } from './storySummary.ts';
import { boundedEntities, boundedList, fitBytes } from './columnFit.ts';
import { storyGraph, storyTimeline } from './storyGraph.ts';
import { storySteps } from './storySteps.ts';
import { storyTitle } from './storyTitle.ts';
import { incidentDescription } from './incidentDescription.ts';
import { storyMaterial } from './storyMaterial.ts';

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
  const material = storyMaterial(input.episodes, input.links, input.storySignals);
  const { events, evidence, signals: signalList, edges: edgeList, signalsByEvent } = material;
  const anchor = anchorSignal(signalList);
  if (!anchor) return undefined;
  const storyId = storyIdFor(anchor);

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
    credentialUsed: edgeList.some(
      (e) => e.reason === 'credential-used' || e.reason === 'identity-used-from-exfil-destination',
    ),
  });

  // The row budget: which events are shown one by one; the rest are counted in groups.
  const selection = selectEvents(evidence, signalsByEvent, edgeList);
  const shownEdges = edgeList.filter((e) => selection.keptIds.has(e.from) && selection.keptIds.has(e.to));
  const shownSignals = signalList.filter((s) => selection.keptIds.has(s.eventId));
  const evidenceId = evidenceIdsOf(storyId);
  const linksFrom = new Map<string, StoryEvidence['links']>();
  for (const e of shownEdges)
    linksFrom.set(e.from, [
      ...(linksFrom.get(e.from) ?? []),
      { reason: e.reason, to: evidenceId(e.to), detail: e.detail },
    ]);
  const storyEvidence: StoryEvidence[] = selection.kept.map((event) => ({
    evidenceId: evidenceId(event.id),
    event,
    signals: signalsByEvent.get(event.id) ?? [],
    links: linksFrom.get(event.id) ?? [],
  }));
  const graphSource = { selection, edges: edgeList, signalsByEvent, evidenceId };
  const { timeline, leftOut: timelineLeftOut } = storyTimeline(graphSource);
  const { graph, leftOutEdges, leftOutNodes } = storyGraph(graphSource);
  const fitSignals = fitBytes(
    shownSignals,
    STORY_ROW_BUDGET.signalsBytes,
    (a, b) => severityRank(b) - severityRank(a) || a.time - b.time,
  );

  const primary = primaryWorkload(input.episodes, anchor, events);
  const toolOf = toolCalls(input.episodes);
  const whereOf = (e: RuntimeEvent) => {
    const w = e.workload;
    return w.namespace ? `${w.namespace}/${w.workloadName ?? w.pod ?? ''}` : (w.workloadName ?? w.pod ?? '');
  };
  const steps = storySteps({
    events: selection.kept,
    edges: shownEdges,
    signals: shownSignals,
    whereOf,
    repeats: repeatsByExample(selection),
    hidden: new Set(selection.groups.flatMap((g) => g.shown.slice(1))),
  });
  const { entities, leftOut: entitiesLeftOut } = boundedEntities(
    entitiesOf(selection.representatives, input.episodes),
    entitiesOf(selection.kept, []),
  );
  const summarised = summaryOf(selection, evidenceId, {
    total: evidence.length,
    edges: edgeList.length - shownEdges.length,
    timeline: timelineLeftOut,
    nodes: leftOutNodes,
    graphEdges: leftOutEdges,
    signals: shownSignals.length - fitSignals.items.length,
    entities: entitiesLeftOut,
  });
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
    title: storyTitle({
      events: selection.kept,
      signals: shownSignals,
      toolOf,
      agentNames,
      workload: primary,
    }),
    severity,
    riskScore: score,
    riskBreakdown: breakdown,
    cluster: primary.cluster ?? '',
    namespace: primary.namespace ?? '',
    pod: primary.pod ?? '',
    workloads: boundedList([...workloads].sort()),
    layers: LAYER_ORDER.filter((l) => layers.has(l)),
    tactics: sorted(signalList.flatMap((s) => s.tactics)),
    techniques: sorted(signalList.flatMap((s) => s.techniques)),
    atlasTechniques: sorted(signalList.flatMap((s) => s.atlas)),
    entities,
    timeline,
    graph,
    narrative: narrativeOf(steps),
    chain: chainLine(chainOf(selection.kept, signalsByEvent, shownEdges)),
    description: incidentDescription({
      storyId,
      severity,
      riskScore: score,
      breakdown,
      firstSeen,
      lastSeen,
      steps,
      summary: summarised,
    }),
    summarised,
    totals: { events: evidence.length, edges: edgeList.length, signals: signalList.length },
    signals: fitSignals.items,
    firstSeen,
    lastSeen,
    agentNames: boundedList(agentNames),
    toolNames: boundedList(toolNames),
    alertIds: boundedList(merged),
    azureResourceId:
      evidence.find((e) => e.alert?.azureResourceId?.toLowerCase().includes('managedclusters'))?.alert
        ?.azureResourceId ?? '',
    evidence: storyEvidence,
  };
}

/** Evidence ids are hashes: computed for the events a version shows, not for every repeat. */
function evidenceIdsOf(storyId: string): (eventId: string) => string {
  const known = new Map<string, string>();
  return (eventId) => {
    let id = known.get(eventId);
    if (id === undefined) known.set(eventId, (id = evidenceIdFor(storyId, eventId)));
    return id;
  };
}

function sorted(values: string[]): string[] {
  return [...new Set(values.filter(Boolean))].sort();
}

const SEVERITY = ['Informational', 'Low', 'Medium', 'High'];
const severityRank = (s: Signal) => SEVERITY.indexOf(s.severity);

/** Event id → the tool call it ran in (tool episodes name one tool). */
function toolCalls(episodes: readonly Episode[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const ep of episodes)
    if (ep.kind === 'tool' && ep.toolNames.length)
      for (const e of ep.evidence) if (!out.has(e.id)) out.set(e.id, ep.toolNames[0]!);
  return out;
}

/** Example event id → the group it stands for (first example only: the step says "repeated N times"). */
function repeatsByExample(selection: Selection): Map<string, { count: number; last: number }> {
  const out = new Map<string, { count: number; last: number }>();
  for (const g of selection.groups) if (g.examples.length) out.set(g.examples[0]!, { count: g.count, last: g.last });
  return out;
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
