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
}

export interface GraphNode {
  id: string;
  layer: Layer | 'tool';
  label: string;
  evidenceId?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  reason: Edge['reason'];
  detail: string;
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
  narrative: string;
  chain: string;
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
