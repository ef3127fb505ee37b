/**
 * Feed heartbeats: what stage ① tells the feed tracker about each batch. A feed is one handoff that
 * can break on its own: a sensor product in a cluster (`tetragon`), or one Diagnostic Setting
 * category (`aks.kube-audit`, `entra.ManagedIdentitySignInLogs`, `keyvault.AuditEvent`). Its scope
 * is where it comes from: the cluster, else the tenant (Entra) or the vault (Key Vault), which name
 * no cluster.
 */
import type { RuntimeEvent } from './event.ts';

/** One feed seen in one stage ① batch. */
export interface FeedBeat {
  scope: string;
  feed: string;
  /** Events of this feed in the batch. */
  events: number;
  /** Newest event time among them (epoch ms). */
  lastEventTime: number;
  /** When stage ① saw them (its wall clock, epoch ms): liveness is about arrival, not event time. */
  seenAt: number;
}

/** The beats of one scope, on their way to the story partition that tracks it (keyed like its episodes). */
export interface KeyedFeedBeats {
  /** The scope: a cluster (the key its episodes use) or a tenant/vault scope. */
  key: string;
  feedBeats: FeedBeat[];
}

/** A feed's state change, as one CausewayPipeline_CL row. */
export interface FeedTransition {
  type: 'feed-silent' | 'feed-resumed';
  /** When it was noticed: the tick (silent) or the beat (resumed), epoch ms. */
  time: number;
  scope: string;
  feed: string;
  /** Last arrival before the silence (absent: never seen). A silent row and its resumed row share it. */
  lastSeen?: number;
  expectedIntervalMinutes: number;
  /** Resumed: how long it was gone, in minutes. */
  silentMinutes?: number;
}

/** One feed of one scope, for health reports. */
export interface FeedStatus {
  scope: string;
  feed: string;
  status: 'learning' | 'ok' | 'silent' | 'not-expected';
  lastSeen?: string;
  expectedIntervalMinutes?: number;
  events: number;
}

/** Cloud sources are one feed per Diagnostic Setting category (the format); sensors are one feed per product. */
export function feedOf(event: RuntimeEvent): string {
  return event.layer === 'cloud' ? event.source.format : event.source.product;
}

/**
 * Where a feed comes from: the event's cluster; for cloud events that name none, the vault
 * (`keyvault:<name>`, each vault has its own Diagnostic Setting) or the tenant (`tenant:<id>`);
 * else the input's configured cluster.
 */
export function feedScope(event: RuntimeEvent, configuredCluster: string): string {
  if (event.workload.cluster) return event.workload.cluster;
  const c = event.cloud;
  if (c?.resourceId && event.source.product === 'keyvault') {
    const vault = /\/vaults\/([^/]+)/.exec(c.resourceId)?.[1];
    if (vault) return `keyvault:${vault}`;
  }
  if (c?.tenantId) return `tenant:${c.tenantId}`;
  return configuredCluster;
}

/** A stage ① batch's beats, grouped by scope. Bounded by the number of feeds in the batch. */
export class FeedTally {
  private readonly byScope = new Map<string, Map<string, FeedBeat>>();

  /** `configuredCluster`: the input's cluster; `seenAt`: when stage ① took the batch. */
  constructor(
    private readonly configuredCluster: string,
    private readonly seenAt: number,
  ) {}

  add(event: RuntimeEvent): void {
    const scope = feedScope(event, this.configuredCluster);
    const seenAt = this.seenAt;
    const feed = feedOf(event);
    let feeds = this.byScope.get(scope);
    if (!feeds) this.byScope.set(scope, (feeds = new Map()));
    const beat = feeds.get(feed);
    if (!beat) feeds.set(feed, { scope, feed, events: 1, lastEventTime: event.time, seenAt });
    else {
      beat.events++;
      if (event.time > beat.lastEventTime) beat.lastEventTime = event.time;
    }
  }

  /** One message per scope. */
  keyed(): KeyedFeedBeats[] {
    return [...this.byScope].map(([key, feeds]) => ({ key, feedBeats: [...feeds.values()] }));
  }
}

/** The in-process demo replays a recorded attack at start-up: it is not a feed anyone wired. */
export function isFeedInput(input: string): boolean {
  return !input.startsWith('demo/');
}
