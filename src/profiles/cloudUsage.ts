/**
 * The observed side of declared-vs-observed permissions: what each identity was seen doing in the
 * cloud audit logs, whether or not it joined a story. Per Kubernetes service account, the verbs and
 * resources it used against the API server (per namespace); per Entra workload identity, the
 * resources it asked tokens for and the Key Vault operations it performed, per vault.
 * `causeway posture` sets these against the role assignments the identity holds.
 *
 * Kept in the story partitions, which receive the cloud events (ingest/route.ts): kube-audit
 * requests keyed by cluster reach one partition; sign-ins and vault operations are broadcast to all,
 * so each identity is profiled by the one partition its key hashes to (`owns`). A profile becomes a
 * CausewayProfiles_CL row (`RecordType == "cloud-usage"`) when it gains a use, and again at most once
 * a day (event time) while counts move; the row's time is its newest use (or just after the previous
 * row's), so a replay writes the same rows and the latest row of an identity is its fullest.
 */
import { fnv1a32, uuidFrom } from '../common/hash.ts';
import type { RuntimeEvent } from '../model/event.ts';

/** One kind of use: an operation on a resource (in a namespace, or on an Azure resource). */
export interface CloudUse {
  operation: string;
  resource?: string;
  namespace?: string;
  /** Azure resource (lower-cased id) the operation touched: a vault. */
  resourceId?: string;
  /** Entra application id of a sign-in's target resource. */
  resourceAppId?: string;
  /** A few object names (secrets, keys), for the reviewer. */
  objects?: string[];
  count: number;
  failures: number;
  firstSeen: number;
  lastSeen: number;
}

/** What one identity was seen doing. */
export interface CloudIdentityUsage {
  /** `sa:<cluster>/<namespace>/<name>` or `entra:<object id or app id>`. */
  key: string;
  kind: 'service-account' | 'workload-identity';
  principal: string;
  principalType: string;
  principalId?: string;
  appId?: string;
  cluster?: string;
  namespace?: string;
  name?: string;
  /** Formats it was seen in (`aks.kube-audit`, `keyvault.AuditEvent`, …). */
  sources: string[];
  uses: Record<string, CloudUse>;
  events: number;
  firstSeen: number;
  lastSeen: number;
}

/** A profile due to be written. */
export interface CloudUsageRecord {
  usage: CloudIdentityUsage;
  /** Row time: the profile's newest use (event time), always after the identity's previous row. */
  time: number;
}

interface Tracked {
  usage: CloudIdentityUsage;
  /** A new use since the last row. */
  grew: boolean;
  /** Counts moved since the last row. */
  moved: boolean;
  /** Time of the last row written (event time: its newest use, or just after the row before). */
  writtenAt?: number;
}

export interface CloudUsageSnapshot {
  identities: [string, Tracked][];
  evictions: number;
}

/** Identities per partition, and uses per identity: bounded, the oldest identity goes first (counted). */
const MAX_IDENTITIES = 10_000;
const MAX_USES = 256;
const MAX_OBJECTS = 16;
/** A profile whose counts moved is written again after this much event time. */
const REFRESH_MS = 24 * 3_600_000;

/** The identity a cloud event's actor is, or undefined when it names none worth profiling. */
export function identityKey(e: RuntimeEvent): string | undefined {
  const c = e.cloud;
  if (!c) return undefined;
  if (c.principalType === 'service-account' && c.serviceAccountNamespace && c.serviceAccountName)
    return `sa:${e.workload.cluster ?? '-'}/${c.serviceAccountNamespace}/${c.serviceAccountName}`;
  if (c.principalType === 'service-principal' || c.principalType === 'managed-identity') {
    const id = c.principalId ?? c.appId;
    return id ? `entra:${id}` : undefined;
  }
  return undefined;
}

/** The profile id of an identity's usage (stable across versions of the row). */
export function cloudProfileId(key: string): string {
  return uuidFrom(`causeway-cloud-usage:${key}`);
}

export class CloudUsageBook {
  private readonly identities = new Map<string, Tracked>();
  evictions = 0;

  constructor(
    private readonly partition: number,
    private readonly partitions: number,
  ) {}

  /** Whether this partition profiles an identity seen in a broadcast event (exactly one partition does). */
  owns(key: string): boolean {
    return this.partitions <= 1 || fnv1a32(key) % this.partitions === this.partition;
  }

  /** Folds in one cloud event. `broadcast`: it reached every partition, so only the owner keeps it. */
  observe(e: RuntimeEvent, broadcast: boolean): void {
    const key = identityKey(e);
    const c = e.cloud;
    if (!key || !c || (broadcast && !this.owns(key))) return;
    const t = this.tracked(key, e);
    const u = t.usage;
    const useKey = [c.operation, c.resource ?? '', c.namespace ?? '', c.resourceId ?? '', c.resourceAppId ?? ''].join(
      ' ',
    );
    let use = u.uses[useKey];
    if (!use) {
      if (Object.keys(u.uses).length >= MAX_USES) return;
      use = u.uses[useKey] = {
        operation: c.operation,
        resource: c.resource,
        namespace: c.namespace,
        resourceId: c.resourceId,
        resourceAppId: c.resourceAppId,
        count: 0,
        failures: 0,
        firstSeen: e.time,
        lastSeen: e.time,
      };
      if (use.resource === undefined) delete use.resource;
      if (use.namespace === undefined) delete use.namespace;
      if (use.resourceId === undefined) delete use.resourceId;
      if (use.resourceAppId === undefined) delete use.resourceAppId;
      t.grew = true;
    }
    use.count++;
    if (c.result === 'failure') use.failures++;
    use.firstSeen = Math.min(use.firstSeen, e.time);
    use.lastSeen = Math.max(use.lastSeen, e.time);
    if (c.name && e.kind === 'cloud.secret-access') {
      const objects = (use.objects ??= []);
      if (!objects.includes(c.name) && objects.length < MAX_OBJECTS) objects.push(c.name);
    }
    // A sign-in names the principal best (its display name); any event may fill in the ids.
    if (e.kind === 'cloud.sign-in') u.principal = c.principal;
    if (!u.principalId && c.principalId) u.principalId = c.principalId;
    if (!u.appId && c.appId) u.appId = c.appId;
    if (!u.sources.includes(e.source.format)) u.sources.push(e.source.format);
    u.events++;
    u.firstSeen = Math.min(u.firstSeen, e.time);
    u.lastSeen = Math.max(u.lastSeen, e.time);
    t.moved = true;
  }

  /**
   * Profiles due a row: every one that gained a use, and (unless `all`) those whose counts moved a
   * day after their last row; `all` (end of input) writes every profile that changed at all.
   */
  due(all = false): CloudUsageRecord[] {
    const out: CloudUsageRecord[] = [];
    for (const t of this.identities.values()) {
      const stale = t.moved && (t.writtenAt === undefined || t.usage.lastSeen - t.writtenAt >= REFRESH_MS);
      if (!(t.grew || stale || (all && t.moved))) continue;
      t.grew = t.moved = false;
      // A late event can grow a profile without moving its newest use: each row is still later than
      // the one before, so the latest row (arg_max(TimeGenerated)) is the fullest.
      const time = t.writtenAt === undefined ? t.usage.lastSeen : Math.max(t.usage.lastSeen, t.writtenAt + 1);
      t.writtenAt = time;
      out.push({ usage: structuredClone(t.usage), time });
    }
    return out;
  }

  get size(): number {
    return this.identities.size;
  }

  snapshot(): CloudUsageSnapshot {
    return { identities: [...this.identities], evictions: this.evictions };
  }

  restore(s: CloudUsageSnapshot): void {
    this.identities.clear();
    for (const [k, t] of s.identities) this.identities.set(k, t);
    this.evictions = s.evictions;
  }

  private tracked(key: string, e: RuntimeEvent): Tracked {
    let t = this.identities.get(key);
    if (t) return t;
    if (this.identities.size >= MAX_IDENTITIES) {
      this.identities.delete(this.identities.keys().next().value as string);
      this.evictions++;
    }
    const c = e.cloud!;
    const serviceAccount = key.startsWith('sa:');
    const usage: CloudIdentityUsage = {
      key,
      kind: serviceAccount ? 'service-account' : 'workload-identity',
      principal: c.principal,
      principalType: c.principalType,
      sources: [],
      uses: {},
      events: 0,
      firstSeen: e.time,
      lastSeen: e.time,
    };
    if (c.principalId) usage.principalId = c.principalId;
    if (c.appId) usage.appId = c.appId;
    if (serviceAccount) {
      if (e.workload.cluster) usage.cluster = e.workload.cluster;
      usage.namespace = c.serviceAccountNamespace;
      usage.name = c.serviceAccountName;
    }
    t = { usage, grew: false, moved: false };
    this.identities.set(key, t);
    return t;
  }
}
