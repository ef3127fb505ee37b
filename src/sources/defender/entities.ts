/**
 * Defender alert entities: Json.NET reference preservation (`$id` on every entity and on some
 * nested objects, `{"$ref": "<id>"}` instead of repeating one). Resolved within one alert;
 * dangling references are tolerated (the sample alert has several).
 */
import { normaliseContainerId, normaliseIp, normalisePath } from '../../transforms/normalise.ts';
import { arr, obj, str, type Json } from '../source.ts';
import { ci, jsonValue, pick } from './caseInsensitive.ts';

export interface EntityFacts {
  cluster?: string;
  clusterResourceId?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  containerId?: string;
  image?: string;
  node?: string;
  processes: { pid?: number; commandLine?: string; binary?: string; parentCommandLine?: string; user?: string }[];
  ips: string[];
  accounts: string[];
  files: string[];
  domains: string[];
  applications: string[];
  azureResourceIds: string[];
}

export class EntityGraph {
  private readonly byId = new Map<string, Json>();
  readonly entities: Json[];

  constructor(raw: unknown) {
    this.entities = arr(jsonValue(raw))
      .map(obj)
      .filter((e): e is Json => !!e);
    for (const e of this.entities) this.index(e, 0);
  }

  private index(node: unknown, depth: number): void {
    if (depth > 16) return;
    if (Array.isArray(node)) {
      for (const n of node) this.index(n, depth + 1);
      return;
    }
    const o = obj(node);
    if (!o) return;
    const id = str(o.$id);
    // First definition wins; later duplicate $ids (hand-merged samples) do not overwrite it.
    if (id && !this.byId.has(id)) this.byId.set(id, o);
    for (const v of Object.values(o)) if (v && typeof v === 'object') this.index(v, depth + 1);
  }

  /** Follows a `$ref`; undefined when it dangles. */
  resolve(v: unknown): Json | undefined {
    const o = obj(v);
    if (!o) return undefined;
    const ref = str(o.$ref);
    return ref === undefined ? o : this.byId.get(ref);
  }

  /** Entities of one type (`process`, `K8s-pod`, …), with references resolved. */
  ofType(type: string): Json[] {
    const t = type.toLowerCase();
    return this.entities
      .map((e) => this.resolve(e))
      .filter((e): e is Json => !!e && String(ci(e).get('type') ?? '').toLowerCase() === t);
  }

  facts(): EntityFacts {
    const f: EntityFacts = {
      processes: [],
      ips: [],
      accounts: [],
      files: [],
      domains: [],
      applications: [],
      azureResourceIds: [],
    };
    for (const cluster of this.ofType('K8s-cluster')) {
      const resource = this.resolve(ci(cluster).get('cloudresource'));
      const rv = ci(resource);
      const resourceId = str(pick(rv, 'resourceid', 'azureid', 'relatedazureresourceids'));
      f.clusterResourceId ??= resourceId;
      f.cluster ??=
        str(ci(cluster).get('name')) ?? clusterFromResourceId(resourceId) ?? str(pick(rv, 'resourcename', 'name'));
    }
    for (const ns of this.ofType('K8s-namespace')) {
      f.namespace ??= str(ci(ns).get('name'));
      const cluster = this.resolve(ci(ns).get('cluster'));
      if (cluster && !f.cluster) {
        const resource = this.resolve(ci(cluster).get('cloudresource'));
        f.cluster =
          clusterFromResourceId(str(pick(ci(resource), 'resourceid', 'azureid'))) ??
          str(pick(ci(resource), 'resourcename'));
      }
    }
    for (const pod of this.ofType('K8s-pod')) {
      f.pod ??= str(ci(pod).get('name'));
      f.namespace ??= str(ci(this.resolve(ci(pod).get('namespace'))).get('name'));
    }
    for (const c of this.ofType('container')) {
      const v = ci(c);
      f.container ??= str(v.get('name'));
      f.containerId ??= normaliseContainerId(v.get('containerid'));
      f.image ??= str(ci(this.resolve(v.get('image'))).get('imageid'));
      f.pod ??= str(ci(this.resolve(v.get('pod'))).get('name'));
    }
    f.image ??= str(ci(this.ofType('container-image')[0]).get('imageid'));
    for (const h of this.ofType('host')) f.node ??= str(pick(ci(h), 'hostname', 'netbiosname'));
    for (const p of this.ofType('process')) {
      const v = ci(p);
      const image = ci(this.resolve(v.get('imagefile')));
      const dir = str(image.get('directory'));
      const name = str(image.get('name'));
      const pid = parsePid(v.get('processid'));
      f.processes.push({
        pid,
        commandLine: str(v.get('commandline')),
        binary: name ? normalisePath(dir ? `${dir}/${name}` : name) : undefined,
        parentCommandLine: str(ci(this.resolve(v.get('parentprocess'))).get('commandline')),
        user: str(ci(this.resolve(v.get('account'))).get('name')),
      });
    }
    for (const ip of this.ofType('ip')) {
      const a = normaliseIp(ci(ip).get('address'));
      if (a && !f.ips.includes(a)) f.ips.push(a);
    }
    for (const a of this.ofType('account')) {
      const v = ci(a);
      const id = str(pick(v, 'aaduserid', 'name', 'upnsuffix'));
      if (id && !f.accounts.includes(id)) f.accounts.push(id);
    }
    for (const file of this.ofType('file')) {
      const v = ci(file);
      const name = str(v.get('name'));
      const dir = str(v.get('directory'));
      if (name && dir?.startsWith('/')) f.files.push(normalisePath(`${dir}/${name}`)!);
    }
    for (const d of this.ofType('dns')) {
      const name = str(ci(d).get('domainname'));
      if (name) f.domains.push(name);
    }
    for (const app of [...this.ofType('cloud-application'), ...this.ofType('cloudapplication')]) {
      const name = str(pick(ci(app), 'name', 'appid'));
      if (name) f.applications.push(name);
    }
    for (const r of this.ofType('azure-resource')) {
      const id = str(ci(r).get('resourceid'));
      if (id) f.azureResourceIds.push(id);
    }
    return f;
  }
}

/** `/subscriptions/…/managedClusters/<name>` → `<name>`. */
export function clusterFromResourceId(id: string | undefined): string | undefined {
  const m = id ? /\/managedclusters\/([^/]+)/i.exec(id) : null;
  return m?.[1];
}

/** Defender writes process ids in hex (`0x1e99b`). */
function parsePid(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
