/**
 * Kubescape baselines as profiles: ApplicationProfile (execs, opens, syscalls) and
 * NetworkNeighborhood (egress by IP/CIDR, DNS names, ports, selectors), YAML or JSON, one or many
 * documents, a `List`, or a Kubernetes list (reference/sensor-formats.md §1.5). The workload comes
 * from the `kubescape.io/workload-*` labels; `⋯` wildcards are kept as they are (profile.ts
 * matches them).
 */
import { normaliseWorkloadKind } from '../sources/workloadKind.ts';
import { parseAllDocuments } from 'yaml';
import { emptyProfile, mergeProfiles, type Egress, type Profile } from './profile.ts';

const GROUP = 'spdx.softwarecomposition.kubescape.io/';

export class ProfileImportError extends Error {
  override name = 'ProfileImportError';
}

interface KsObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    containers?: KsContainer[];
    initContainers?: KsContainer[];
    ephemeralContainers?: KsContainer[];
    matchLabels?: Record<string, string>;
    architectures?: string[];
  };
  items?: KsObject[];
}

interface KsContainer {
  name?: string;
  execs?: { path?: string }[] | null;
  opens?: { path?: string }[] | null;
  syscalls?: string[] | null;
  egress?: KsNeighbor[] | null;
}

interface KsNeighbor {
  ipAddress?: string;
  ipAddresses?: string[] | null;
  dns?: string;
  dnsNames?: string[] | null;
  ports?: { port?: number; protocol?: string }[] | null;
  podSelector?: { matchLabels?: Record<string, string> } | null;
  namespaceSelector?: { matchLabels?: Record<string, string> } | null;
}

/** Every profile in a file's text; `name` is for messages. Throws ProfileImportError with the reason. */
export function importKubescape(text: string, name: string, cluster: string): Profile[] {
  const objects = parseObjects(text, name);
  const byId = new Map<string, Profile>();
  for (const o of objects) {
    if (!o.apiVersion?.startsWith(GROUP) || (o.kind !== 'ApplicationProfile' && o.kind !== 'NetworkNeighborhood')) {
      throw new ProfileImportError(
        `${name}: ${o.kind ?? 'an object'} (${o.apiVersion ?? 'no apiVersion'}) is not a Kubescape ApplicationProfile or NetworkNeighborhood (${GROUP}v1beta1)`,
      );
    }
    const labels = o.metadata?.labels ?? {};
    const namespace = labels['kubescape.io/workload-namespace'] ?? o.metadata?.namespace;
    const workloadName = labels['kubescape.io/workload-name'];
    const workloadKind = labels['kubescape.io/workload-kind'];
    if (!namespace || !workloadName || !workloadKind)
      throw new ProfileImportError(
        `${name}: ${o.kind} ${o.metadata?.name ?? ''} lacks the kubescape.io/workload-namespace, -kind and -name labels that say which workload it is for`,
      );
    // Kubescape labels the kind in lower case (`statefulset`); the sensors' events use `StatefulSet`.
    const kind = normaliseWorkloadKind(workloadKind)!;
    const source = `kubescape ${o.kind} ${o.metadata?.namespace ?? namespace}/${o.metadata?.name ?? workloadName}`;
    const containers = [
      ...(o.spec?.containers ?? []),
      ...(o.spec?.initContainers ?? []),
      ...(o.spec?.ephemeralContainers ?? []),
    ];
    for (const c of containers) {
      if (!c.name) continue;
      const p = emptyProfile(
        { cluster, namespace, workloadKind: kind, workloadName, container: c.name },
        'imported',
        source,
      );
      for (const e of c.execs ?? []) if (e.path) add(p.executables, e.path);
      for (const f of c.opens ?? []) if (f.path) add(p.filePaths, f.path);
      for (const s of c.syscalls ?? []) add(p.syscalls, s);
      for (const n of c.egress ?? []) p.egress.push(...egressOf(n));
      if (o.spec?.matchLabels) p.podLabels = { ...o.spec.matchLabels };
      const known = byId.get(p.id);
      if (known && p.podLabels) known.podLabels ??= p.podLabels;
      byId.set(p.id, known ? mergeProfiles(known, p) : p);
    }
  }
  return [...byId.values()];
}

function parseObjects(text: string, name: string): KsObject[] {
  let docs: unknown[];
  const trimmed = text.trimStart();
  try {
    docs =
      trimmed.startsWith('{') || trimmed.startsWith('[')
        ? [JSON.parse(text) as unknown]
        : parseAllDocuments(text).map((d) => {
            if (d.errors.length) throw new Error(d.errors[0]!.message);
            return d.toJS() as unknown;
          });
  } catch (e) {
    throw new ProfileImportError(
      `${name}: not valid ${trimmed.startsWith('{') ? 'JSON' : 'YAML'} (${(e as Error).message.split('\n')[0]})`,
    );
  }
  const out: KsObject[] = [];
  const visit = (d: unknown) => {
    if (d === null || d === undefined) return;
    if (Array.isArray(d)) return d.forEach(visit);
    if (typeof d !== 'object') throw new ProfileImportError(`${name}: expected Kubernetes objects, found ${typeof d}`);
    const o = d as KsObject;
    if (Array.isArray(o.items)) return o.items.forEach(visit);
    out.push(o);
  };
  docs.forEach(visit);
  if (!out.length) throw new ProfileImportError(`${name}: no objects in the file`);
  return out;
}

function egressOf(n: KsNeighbor): Egress[] {
  const ips = [...(n.ipAddresses ?? []), ...(n.ipAddress ? [n.ipAddress] : [])];
  const dns = [
    ...new Set(
      [...(n.dnsNames ?? []), ...(n.dns ? [n.dns] : [])].map((d) => d.replace(/\.$/, '').toLowerCase()).filter(Boolean),
    ),
  ].sort();
  const ports = n.ports?.length ? n.ports : [{}];
  const selectors = {
    ...(n.podSelector?.matchLabels ? { podSelector: n.podSelector.matchLabels } : {}),
    ...(n.namespaceSelector?.matchLabels ? { namespaceSelector: n.namespaceSelector.matchLabels } : {}),
  };
  const out: Egress[] = [];
  for (const port of ports) {
    const base = { port: port.port, protocol: (port.protocol ?? 'TCP').toUpperCase(), dns, ...selectors };
    if (ips.length) for (const ip of [...new Set(ips)]) out.push({ ip, ...base });
    else out.push({ ip: '', ...base });
  }
  return out;
}

function add(list: string[], value: string): void {
  if (!list.includes(value)) {
    list.push(value);
    list.sort();
  }
}
