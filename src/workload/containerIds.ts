/**
 * One container, one id (DESIGN §3). Sensors name a container by its full 64-hex id (Tetragon,
 * Kubescape, OTel `container.id`, Falco `container.full_id`) or by a prefix of it: Docker's
 * 12-character short id (Falco `container.id`, Falcosidekick), Tetragon's 31-character `docker`
 * field. Ingest is stateless and cannot tell which full id a prefix stands for; the workload stage,
 * where a container's events meet, can. There a short id becomes the full id the workload has
 * already seen, so a Falco alert's evidence row, story entities and KQL joins name the same
 * container as the Tetragon events of its story. A prefix two known ids share stays as it is.
 */
import type { RuntimeEvent } from '../model/event.ts';

const FULL_ID = 64;
/** Containers remembered per workload (replicas × containers × restarts); oldest forgotten first. */
const MAX_CONTAINERS = 256;
/** Shortest prefix resolved: Docker's short id. */
const MIN_PREFIX = 12;

/** The full container ids one workload has seen, looked up by prefix. */
export class ContainerIds {
  /** Short id (first 12 hex) → full id, or null when two full ids share it. */
  private readonly byShort = new Map<string, string | null>();

  learn(id: string): void {
    if (id.length !== FULL_ID) return;
    const short = id.slice(0, MIN_PREFIX);
    const known = this.byShort.get(short);
    if (known === id || known === null) return;
    if (known !== undefined) {
      this.byShort.set(short, null);
      return;
    }
    if (this.byShort.size >= MAX_CONTAINERS) this.byShort.delete(this.byShort.keys().next().value as string);
    this.byShort.set(short, id);
  }

  /** The full id a prefix stands for, when exactly one known id starts with it. */
  resolve(prefix: string): string | undefined {
    if (prefix.length < MIN_PREFIX || prefix.length >= FULL_ID) return undefined;
    const full = this.byShort.get(prefix.slice(0, MIN_PREFIX));
    return full && full.startsWith(prefix) ? full : undefined;
  }
}

/** Each workload's ids, kept with (and forgotten with) the workload's state object. */
const BY_WORKLOAD = new WeakMap<object, ContainerIds>();

/**
 * Learns a full container id from `event`, or gives it the full id its short one stands for in this
 * workload. The event gets a new identity object: identities may be shared by the events of one
 * OTLP resource and must not change under them.
 */
export function resolveContainerId(workload: object, event: RuntimeEvent): void {
  const id = event.workload.containerId;
  if (!id) return;
  let ids = BY_WORKLOAD.get(workload);
  if (!ids) BY_WORKLOAD.set(workload, (ids = new ContainerIds()));
  if (id.length === FULL_ID) return ids.learn(id);
  const full = ids.resolve(id);
  if (full) event.workload = { ...event.workload, containerId: full };
}
