/**
 * The contract between the workload stage (②) and the story stage (③), DESIGN §2.
 * An episode is a compact reduction of one workload's raw events: the story stage joins
 * episodes and never sees raw kernel events.
 */
import type { RuntimeEvent, Severity, WorkloadIdentity } from './event.ts';

/** Why two events are linked. Every edge in a story says why it exists. */
export type EdgeReason =
  | 'spawned'
  | 'accessed'
  | 'connected'
  | 'resolved'
  | 'ran-in-tool'
  | 'called'
  | 'prompted'
  | 'alerted'
  | 'same-session'
  | 'descendant-of'
  | 'led-into'
  /** A cloud audit event made with a credential the story read (credentialLinks.ts). */
  | 'credential-used'
  /** A workload identity whose token the story read signed in (or acted) from the address the data went to. */
  | 'identity-used-from-exfil-destination';

export interface Edge {
  /** Event id of the cause. */
  from: string;
  /** Event id of the effect. */
  to: string;
  reason: EdgeReason;
  /** Plain words: which keys matched (e.g. `exec_id`, `trace 4bf9…`, `app=travel-agent, source IP`). */
  detail: string;
}

/** A signal raised by a rule on one event. */
export interface Signal {
  /** Deterministic: rule id + event id. */
  id: string;
  ruleId: string;
  name: string;
  severity: Severity;
  tactics: string[];
  techniques: string[];
  atlas: string[];
  /** Event the signal was raised on. */
  eventId: string;
  time: number;
  /** Why it fired, in plain words (values escaped at render time, never here). */
  reason: string;
  /**
   * Vendor alerts that arrive late by design (Defender: 10–30 minutes). A story prefers a
   * prompt, on-time signal as its anchor so its StoryId does not change when the late alert lands.
   */
  delayed: boolean;
}

export type EpisodeKind = 'tool' | 'agent-turn' | 'signal' | 'prompt-alert';

export interface Episode {
  /** Deterministic id (kind + workload + anchor). */
  id: string;
  /** Content-derived and monotone: the same version always carries the same content. */
  version: number;
  kind: EpisodeKind;
  cluster: string;
  /** `cluster/namespace/kind/name`, or the pod/service fallback; empty for prompt alerts. */
  workloadKey: string;
  workload: WorkloadIdentity;
  start: number;
  end: number;
  traceIds: string[];
  mcpSessionIds: string[];
  conversationIds: string[];
  agentNames: string[];
  toolNames: string[];
  /** Addresses the workload's pods were seen using (own connections' source IPs, k8s.pod.ip). */
  podIps: string[];
  /** Addresses of callers seen by inbound spans (client.address): end-user or gateway IPs. */
  clientIps: string[];
  endUsers: string[];
  /** For prompt alerts: the Defender user security context. */
  promptContext?: { applicationName?: string; sourceIp?: string; endUser?: string };
  signals: Signal[];
  /** The evidence events, already normalised and redacted. */
  evidence: RuntimeEvent[];
  edges: Edge[];
  /** Evidence left out to keep the episode bounded (counted, never silently). */
  elided: number;
  /** Tool episodes: the processes that served the call (the server process, the stdio server child). */
  servedBy?: string[];
  /** Process-tree episodes: the tree's root process key. */
  rootProcess?: string;
}

/** A normalised event on its way to a workload partition. */
export interface KeyedEvent {
  /** Partition key: the workload key. */
  key: string;
  event: RuntimeEvent;
}

/** An episode on its way to a story partition. */
export interface KeyedEpisode {
  /** Partition key: the cluster, or `*` to broadcast to every story partition. */
  key: string;
  episode: Episode;
}

export const BROADCAST = '*';
