/**
 * The row's Summarised column: what the row budget counted instead of listing (groups of repeated
 * events, signals, edges, timeline steps, graph nodes, entity values), in numbers and one sentence.
 */
import type { StorySummary } from '../model/story.ts';
import { fitBytes } from './columnFit.ts';
import { STORY_ROW_BUDGET, type Selection } from './storyBudget.ts';

/** What the row budget left out, in numbers and one sentence. */
export function summaryOf(
  selection: Selection,
  evidenceId: (eventId: string) => string,
  n: {
    total: number;
    edges: number;
    timeline: number;
    nodes: number;
    graphEdges: number;
    signals: number;
    entities: Record<string, number>;
  },
): StorySummary {
  const events = n.total - selection.kept.length;
  const groups = selection.groups.slice(0, STORY_ROW_BUDGET.maxGroups).map((g) => ({
    label: g.label,
    layer: g.layer,
    kind: g.kind,
    count: g.count,
    firstSeen: new Date(g.first).toISOString(),
    lastSeen: new Date(g.last).toISOString(),
    examples: g.examples.map(evidenceId),
    signals: g.rules,
    signalsLeftOut: g.signalsLeftOut,
  }));
  const parts: string[] = [];
  if (events)
    parts.push(
      `${events.toLocaleString('en-US')} of ${n.total.toLocaleString('en-US')} events are counted in ${selection.groups.length} groups of repeated events (count, first and last seen, examples) instead of being listed, with ${selection.signalsLeftOut.toLocaleString('en-US')} signals on them`,
    );
  if (selection.groups.length > groups.length)
    parts.push(`${selection.groups.length - groups.length} smaller groups are not listed`);
  if (n.timeline) parts.push(`${n.timeline} timeline steps did not fit`);
  if (n.nodes) parts.push(`${n.nodes} graph nodes did not fit`);
  if (n.signals) parts.push(`${n.signals} signals did not fit the Signals column`);
  const entityTotal = Object.values(n.entities).reduce((a, b) => a + b, 0);
  if (entityTotal) parts.push(`${entityTotal} entity values were left out`);
  const summary: StorySummary = {
    events,
    signals: selection.signalsLeftOut + n.signals,
    edges: n.edges,
    groups,
    entities: n.entities,
    note: parts.length ? `To fit the row budget: ${parts.join('; ')}.` : '',
  };
  return fitBytes([summary], STORY_ROW_BUDGET.summaryBytes).items.length
    ? summary
    : { ...summary, groups: groups.slice(0, 3) };
}
