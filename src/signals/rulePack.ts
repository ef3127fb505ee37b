/** Rule pack types: the TypeScript view of schemas/signals/rule-pack.schema.json. */
import type { DeviationKind } from '../profiles/profile.ts';
import type { RoutineKind } from '../profiles/routine.ts';
import type { EventKind, Severity } from '../model/event.ts';

export interface RuleTest {
  field: string;
  equals?: string | number | boolean;
  in?: (string | number)[];
  prefix?: string[];
  suffix?: string[];
  glob?: string[];
  regex?: string;
  cidr?: string[];
  exists?: boolean;
  private?: boolean;
}

export interface RuleDefinition {
  id: string;
  name: string;
  description: string;
  severity: Severity | 'fromAlert';
  tactics?: string[];
  techniques?: string[];
  atlas?: string[];
  inheritMitre?: boolean;
  tags?: string[];
  scope?: 'event' | 'story';
  /** Quiet when the event shows what its container's baseline holds (routine.ts). */
  unlessRoutine?: RoutineKind;
  when: {
    kind: EventKind[];
    all?: RuleTest[];
    any?: RuleTest[];
    none?: RuleTest[];
    context?: {
      inToolCall?: boolean;
      workloadRole?: ('agent' | 'mcp-server')[];
      toolRisk?: ('high' | 'privileged' | 'benign' | 'unknown')[];
    };
  };
  condition?: {
    deviation?: DeviationKind | { kind: DeviationKind; profile: 'learned' | 'imported' };
    firstSeen?: { key: string[]; per: 'workload' | 'agent' };
    after?: { tags: string[]; withinSeconds: number; in: 'workload' | 'story' };
    toolJump?: { from: 'benign'; to: 'high' };
    /** `count` matching events with one key within `withinSeconds` (protocolBaselines.ts). */
    burst?: { key: string[]; count: number; withinSeconds: number; distinct?: string[] };
    /** A key seen with a value it never had (a session id from a new client address). */
    varies?: { key: string[]; value: string };
    /** A value `factor` times its key's running mean, after `minSamples` (and at least `atLeast`). */
    outlier?: { value: string; key: string[]; factor: number; minSamples: number; atLeast?: number };
  };
}

export interface RulePack {
  pack: string;
  version: string;
  description?: string;
  toolRisk?: { high?: string[]; privileged?: string[]; benign?: string[] };
  rules: RuleDefinition[];
}
