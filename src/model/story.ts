/** Story rows as the story stage builds them (DESIGN §4, §5). */
import type { Edge, Signal } from './episode.ts';
import type { Layer, RuntimeEvent, Severity } from './event.ts';

export type StoryStatus = 'open' | 'closed' | 'merged';

export interface RiskFactor {
  factor: string;
  points: number;
  reason: string;
}

export interface TimelineStep {
  time: string;
  layer: Layer;
  kind: string;
  summary: string;
  evidenceId: string;
  signals: string[];
  /** A summarised group of repeated events: how many it stands for (see StorySummary). */
  count?: number;
  /** A summarised group: when its last event happened. */
  lastTime?: string;
}

export interface GraphNode {
  id: string;
  layer: Layer | 'tool';
  label: string;
  evidenceId?: string;
  /** A summarised group of repeated events: how many it stands for. */
  count?: number;
  /** The event raised a signal. */
  flagged?: true;
  /** On the attack path: a flagged event or a cause of one (the viewer highlights it over context). */
  path?: true;
}

export interface GraphEdge {
  from: string;
  to: string;
  reason: Edge['reason'];
  detail: string;
}

/** Events that repeated past the row budget, collapsed into one counted group. */
export interface RepeatGroup {
  /** What repeated, in plain words (raw values: renderers escape for their medium). */
  label: string;
  layer: Layer;
  kind: string;
  /** Events in the group, the examples shown included. */
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** Evidence ids of the group's events still shown one by one (timeline, graph, evidence rows). */
  examples: string[];
  /** Rule ids raised on the group's events, and how many signals were left out with them. */
  signals: string[];
  signalsLeftOut: number;
}

/** What the row budget summarised (STORY_ROW_BUDGET in story/storyBudget.ts). */
export interface StorySummary {
  /** Events shown only as part of a group (not in the timeline, graph or evidence rows). */
  events: number;
  signals: number;
  edges: number;
  groups: RepeatGroup[];
  /** Entity values left out, per entity kind. */
  entities: Record<string, number>;
  /** One sentence for people; empty when nothing was summarised. */
  note: string;
}

/** One version of a story, before it becomes a row. */
export interface Story {
  storyId: string;
  version: number;
  status: StoryStatus;
  mergedInto?: string;
  mergedStoryIds: string[];
  /**
   * Evidence written under this story id by earlier versions that no longer belongs to it (a late
   * event moved a link): cumulative, so the latest version alone says what to leave out.
   */
  retractedEvidenceIds?: string[];
  title: string;
  severity: Severity;
  riskScore: number;
  riskBreakdown: RiskFactor[];
  cluster: string;
  namespace: string;
  pod: string;
  workloads: string[];
  layers: Layer[];
  tactics: string[];
  techniques: string[];
  atlasTechniques: string[];
  entities: Record<string, string[]>;
  timeline: TimelineStep[];
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
  /** Numbered causal steps, one per line, each naming the edge that led to it. */
  narrative: string;
  chain: string;
  /** The Sentinel incident description (alertDetailsOverride): Markdown-safe, bounded. */
  description: string;
  /** What the row budget summarised, so the row says what it left out. */
  summarised: StorySummary;
  /** Sizes before summarising: events, edges and signals of the whole story (what a version counts). */
  totals: { events: number; edges: number; signals: number };
  signals: Signal[];
  firstSeen: number;
  lastSeen: number;
  agentNames: string[];
  toolNames: string[];
  alertIds: string[];
  azureResourceId: string;
  /** Evidence of this version, with the signals and links of each event. */
  evidence: StoryEvidence[];
}

export interface StoryEvidence {
  evidenceId: string;
  event: RuntimeEvent;
  signals: string[];
  links: { reason: Edge['reason']; to: string; detail: string }[];
}
