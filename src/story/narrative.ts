/**
 * The words of a story besides its title (storyTitle.ts): the causal chain in one line and the
 * narrative, the numbered causal steps one per line. Raw values stay raw here (bounded to one
 * line); renderers escape them for their medium.
 */
import type { Edge } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { destinationLabel } from '../model/describe.ts';
import { baseName } from '../common/paths.ts';
import { singleLine } from './escape.ts';
import { MAX_STEPS, stepLine, type StoryStep } from './storySteps.ts';

/** Steps of the chain at most (the Chain column is a custom detail: Sentinel keeps 2 KB of them all). */
const MAX_CHAIN_STEPS = 12;
const MAX_CHAIN_CHARS = 500;

/** The causal chain in one line: prompt alert > agent > tool > process > file > destination. */
export function chainOf(
  evidence: readonly RuntimeEvent[],
  signalsByEvent: Map<string, string[]>,
  edges: readonly Edge[],
): string[] {
  // Processes one link before a flagged event (the process that read the file, the one an alert named).
  const causes = new Set(edges.filter((e) => signalsByEvent.has(e.to)).map((e) => e.from));
  const flaggedProcesses = new Set(
    evidence.filter((x) => signalsByEvent.has(x.id) && x.process?.key).map((x) => x.process!.key),
  );
  const servedTools = new Set(
    evidence.filter((x) => x.kind === 'mcp.request' && x.trace?.toolName).map((x) => x.trace!.toolName!),
  );
  const steps: string[] = [];
  const push = (s: string) => {
    const v = singleLine(s, 80);
    if (v && !steps.includes(v)) steps.push(v);
  };
  // The prompt is the cause: it leads the chain even though Defender timestamps it mid-turn.
  for (const e of evidence) if (e.layer === 'prompt') push(`prompt alert ${e.alert?.type ?? e.alert?.name ?? ''}`);
  for (const e of evidence) {
    const flagged = signalsByEvent.has(e.id);
    if (e.layer === 'prompt') continue;
    else if (e.kind === 'agent.invoke') push(`agent ${e.trace?.agentName ?? e.workload.serviceName ?? ''}`);
    else if (e.kind === 'mcp.request' && e.trace?.spanKind === 'SERVER')
      push(`tool ${e.trace.toolName ?? e.trace.mcpMethod ?? ''}`);
    else if (e.kind === 'tool.execute' && !servedTools.has(e.trace?.toolName ?? ''))
      push(`tool ${e.trace?.toolName ?? ''}`);
    else if (
      e.kind === 'process.exec' &&
      (flagged || causes.has(e.id) || (e.process?.key !== undefined && flaggedProcesses.has(e.process.key)))
    )
      push(baseName(e.process?.binary) || 'process');
    else if (e.layer === 'file' && flagged) push(e.file?.path ?? 'file');
    else if (e.layer === 'network' && flagged) push(destinationLabel(e));
    else if (e.layer === 'alert' && flagged && e.kind === 'alert') push(`${e.source.product} ${e.alert?.type ?? ''}`);
    else if (e.layer === 'cloud') push(cloudStep(e));
  }
  const shown = steps.length > MAX_CHAIN_STEPS ? [...steps.slice(0, MAX_CHAIN_STEPS - 1), steps.at(-1)!] : steps;
  return shown;
}

/** The chain as the Chain column holds it: one line, bounded. */
export function chainLine(steps: readonly string[]): string {
  return singleLine(steps.join(' > '), MAX_CHAIN_CHARS);
}

/** The narrative: the numbered causal steps, one per line, each naming the edge that led to it. */
export function narrativeOf(steps: readonly StoryStep[]): string {
  const lines = steps.slice(0, MAX_STEPS).map((s) => stepLine(s));
  if (steps.length > MAX_STEPS) lines.push(`… ${steps.length - MAX_STEPS} more steps (see the timeline).`);
  return lines.join('\n');
}

/** A cloud event in the chain: what the credential did (`sign-in`, `SecretGet`, `create pods/exec`) and from where. */
function cloudStep(e: RuntimeEvent): string {
  const c = e.cloud;
  if (!c) return e.kind;
  const what = e.kind === 'cloud.sign-in' ? 'sign-in' : [c.operation, c.resource].filter(Boolean).join(' ');
  return `${what}${c.sourceIp ? ` from ${c.sourceIp}` : ''}`;
}
