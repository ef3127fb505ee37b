/**
 * Builds one version of a story from the episodes of a connected component (DESIGN §4): evidence,
 * signals, edges with reasons, entities, timeline, graph, title, narrative, chain and score.
 * Pure and deterministic: the same episodes always give the same story, whatever order they came in.
 */
import type { Edge, Episode, Signal } from '../model/episode.ts';
import type { Layer, RuntimeEvent } from '../model/event.ts';
import type { GraphNode, Story, StoryEvidence, StoryStatus, TimelineStep } from '../model/story.ts';
import { describeEvent, destinationLabel, processLabel } from '../model/describe.ts';
import { singleLine, titleValue } from './escape.ts';
import { riskScore } from './score.ts';
import { baseName } from '../common/paths.ts';
import { uuidFrom } from '../common/hash.ts';

export function uuidFromHash(text: string): string {
  return uuidFrom(text);
}

/** The anchor: on-time signals before delayed vendor alerts, then earliest, then by id. */
export function anchorSignal(signals: readonly Signal[]): Signal | undefined {
  let best: Signal | undefined;
  for (const s of signals) {
    if (!best) best = s;
    else if (
      Number(s.delayed) !== Number(best.delayed)
        ? !s.delayed
        : s.time !== best.time
          ? s.time < best.time
          : s.id < best.id
    )
      best = s;
  }
  return best;
}

export function storyIdFor(anchor: Signal): string {
  return uuidFromHash(`causeway-story:${anchor.id}`);
}

export function evidenceIdFor(storyId: string, eventId: string): string {
  return uuidFromHash(`causeway-evidence:${storyId}:${eventId}`);
}

const LAYER_ORDER: Layer[] = ['prompt', 'agent', 'protocol', 'process', 'file', 'network', 'alert'];

export interface StoryInput {
  episodes: readonly Episode[];
  /** Cross-episode edges (called, prompted, same-session, alerted). */
  links: readonly Edge[];
  storySignals: readonly Signal[];
  status: StoryStatus;
}

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

/** The causal chain in one line: prompt alert > agent > tool > process > file > destination. */
function chainOf(evidence: RuntimeEvent[], signalsByEvent: Map<string, string[]>, edges: Edge[]): string[] {
  // Processes one link before a flagged event (the process that read the file, the one an alert named).
  const causes = new Set(edges.filter((e) => signalsByEvent.has(e.to)).map((e) => e.from));
  const steps: string[] = [];
  const push = (s: string) => {
    const v = singleLine(s, 80);
    if (v && steps.at(-1) !== v) steps.push(v);
  };
  // The prompt is the cause: it leads the chain even though Defender timestamps it mid-turn.
  for (const e of evidence) if (e.layer === 'prompt') push(`prompt alert ${e.alert?.type ?? e.alert?.name ?? ''}`);
  for (const e of evidence) {
    const flagged = signalsByEvent.has(e.id);
    if (e.layer === 'prompt') continue;
    else if (e.kind === 'agent.invoke') push(`agent ${e.trace?.agentName ?? e.workload.serviceName ?? ''}`);
    else if (e.kind === 'mcp.request' && e.trace?.spanKind === 'SERVER')
      push(`tool ${e.trace.toolName ?? e.trace.mcpMethod ?? ''}`);
    else if (
      e.kind === 'tool.execute' &&
      !evidence.some((x) => x.kind === 'mcp.request' && x.trace?.toolName === e.trace?.toolName)
    )
      push(`tool ${e.trace?.toolName ?? ''}`);
    else if (
      e.kind === 'process.exec' &&
      (flagged ||
        causes.has(e.id) ||
        evidence.some((x) => x.process?.key === e.process?.key && signalsByEvent.has(x.id)))
    )
      push(baseName(e.process?.binary) || 'process');
    else if (e.layer === 'file' && flagged) push(e.file?.path ?? 'file');
    else if (e.layer === 'network' && flagged) push(destinationLabel(e));
    else if (e.layer === 'alert' && flagged && e.kind === 'alert') push(`${e.source.product} ${e.alert?.type ?? ''}`);
  }
  return steps;
}

function titleOf(
  signals: Signal[],
  anchor: Signal,
  w: { namespace?: string; workloadName?: string; pod?: string },
  tools: string[],
  chain: string[],
): string {
  const top = [...signals].sort((a, b) => sevRank(b) - sevRank(a) || a.time - b.time)[0] ?? anchor;
  const where = w.namespace
    ? `${w.namespace}/${w.workloadName ?? w.pod ?? ''}`
    : (w.workloadName ?? w.pod ?? 'cluster');
  const tool = tools.length ? ` via tool ${tools.map((t) => titleValue(t, 40)).join(', ')}` : '';
  const ends = chain.length > 1 ? ` → ${titleValue(chain.at(-1)!, 60)}` : '';
  return singleLine(`${top.name}${tool} in ${titleValue(where, 80)}${ends}`, 250);
}

function sevRank(s: Signal): number {
  return { Informational: 0, Low: 1, Medium: 2, High: 3 }[s.severity];
}

function entitiesOf(evidence: RuntimeEvent[], episodes: readonly Episode[]): Record<string, string[]> {
  const acc: Record<string, Set<string>> = {};
  const add = (k: string, v: string | number | undefined) => {
    if (v === undefined || v === '') return;
    (acc[k] ??= new Set()).add(String(v));
  };
  for (const e of evidence) {
    const w = e.workload;
    add('clusters', w.cluster);
    add('namespaces', w.namespace);
    add('pods', w.pod && w.namespace ? `${w.namespace}/${w.pod}` : w.pod);
    add('nodes', w.node);
    add('containers', w.containerId);
    add('images', w.image);
    if (w.workloadKind && w.workloadName) add('workloads', `${w.namespace ?? ''}/${w.workloadKind}/${w.workloadName}`);
    if (e.kind === 'process.exec' || e.kind === 'alert') add('processes', e.process?.binary);
    add('commandLines', e.kind === 'process.exec' ? e.process?.commandLine : undefined);
    add('files', e.file?.path);
    add('ips', e.network?.dstIp);
    add('domains', e.network?.domain);
    add(
      'accounts',
      e.process?.user && e.process.user !== '0' && e.process.user !== 'root' ? e.process.user : undefined,
    );
    add('agents', e.trace?.agentName);
    add('tools', e.trace?.toolName);
    add('alerts', e.alert ? `${e.alert.vendor}:${e.alert.type}` : undefined);
    add('applications', e.alert?.applicationName);
    add('endUsers', e.alert?.endUser ?? e.trace?.endUser);
    add('sourceIps', e.alert?.sourceIp);
    add('azureResources', e.alert?.azureResourceId);
  }
  for (const ep of episodes) for (const ip of ep.podIps) add('podIps', ip);
  return Object.fromEntries(
    Object.entries(acc)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, [...v].sort()]),
  );
}

/** A short account in plain words. Raw values stay raw here; renderers escape for their medium. */
function narrativeOf(
  evidence: RuntimeEvent[],
  signalsByEvent: Map<string, string[]>,
  episodes: readonly Episode[],
  edges: Edge[],
): string {
  const sentences: string[] = [];
  const prompt = evidence.find((e) => e.layer === 'prompt');
  if (prompt?.alert) {
    const ctx = [
      prompt.alert.applicationName && `application ${prompt.alert.applicationName}`,
      prompt.alert.sourceIp && `source IP ${prompt.alert.sourceIp}`,
    ]
      .filter(Boolean)
      .join(', ');
    sentences.push(`Defender for AI reported "${prompt.alert.name}"${ctx ? ` (${ctx})` : ''}.`);
    const prompted = edges.find((e) => e.reason === 'prompted');
    if (prompted) sentences.push(`It was linked to the agent turn by ${prompted.detail}.`);
  }
  for (const turn of episodes.filter((e) => e.kind === 'agent-turn')) {
    const tools = turn.toolNames.length ? ` and called ${turn.toolNames.join(', ')}` : '';
    sentences.push(
      `Agent ${turn.agentNames.join(', ') || turn.workload.serviceName || turn.workloadKey} ran a turn (trace ${turn.traceIds[0]?.slice(0, 8) ?? '?'})${tools}.`,
    );
  }
  for (const tool of episodes.filter((e) => e.kind === 'tool')) {
    const where = tool.workload.namespace
      ? `${tool.workload.namespace}/${tool.workload.workloadName ?? tool.workload.pod ?? ''}`
      : tool.workloadKey;
    const procs = tool.evidence
      .filter((e) => e.kind === 'process.exec')
      .map((e) => baseName(e.process?.binary))
      .filter(Boolean);
    sentences.push(
      `Tool ${tool.toolNames.join(', ') || '?'} ran in ${where}${procs.length ? `, starting ${[...new Set(procs)].join(', ')}` : ''}.`,
    );
  }
  for (const e of evidence) {
    const rules = signalsByEvent.get(e.id);
    if (!rules || e.layer === 'prompt') continue;
    sentences.push(`${describeEvent(e)} [${rules.join(', ')}].`);
  }
  return sentences.slice(0, 24).join(' ');
}
