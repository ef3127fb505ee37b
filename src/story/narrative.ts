/**
 * The words of a story: its title, its causal chain in one line and a short narrative. Raw values
 * stay raw here (bounded to one line); renderers escape them for their medium.
 */
import type { Edge, Episode, Signal } from '../model/episode.ts';
import { SEVERITY_RANK, type RuntimeEvent } from '../model/event.ts';
import { describeEvent, destinationLabel } from '../model/describe.ts';
import { baseName } from '../common/paths.ts';
import { singleLine, titleValue } from './escape.ts';

/** The causal chain in one line: prompt alert > agent > tool > process > file > destination. */
export function chainOf(evidence: RuntimeEvent[], signalsByEvent: Map<string, string[]>, edges: Edge[]): string[] {
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

/** The title: the most severe signal, the tool it ran in, where, and where the chain ends. */
export function titleOf(
  signals: Signal[],
  anchor: Signal,
  w: { namespace?: string; workloadName?: string; pod?: string },
  tools: string[],
  chain: string[],
): string {
  const top =
    [...signals].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.time - b.time)[0] ?? anchor;
  const where = w.namespace
    ? `${w.namespace}/${w.workloadName ?? w.pod ?? ''}`
    : (w.workloadName ?? w.pod ?? 'cluster');
  const tool = tools.length ? ` via tool ${tools.map((t) => titleValue(t, 40)).join(', ')}` : '';
  const ends = chain.length > 1 ? ` → ${titleValue(chain.at(-1)!, 60)}` : '';
  return singleLine(`${top.name}${tool} in ${titleValue(where, 80)}${ends}`, 250);
}

/** A short account in plain words. Raw values stay raw here; renderers escape for their medium. */
export function narrativeOf(
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
