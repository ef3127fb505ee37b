/**
 * What every draft carries whatever its kind: a stable name, the draft/audit markers, the workload
 * and container it is for, its class, and the evidence it came from (how much the profile saw, so a
 * thin profile is visible as thin on the object itself).
 */
import type { Egress, Profile } from './profile.ts';
import type { ResolvedClass } from './profileClass.ts';

/** Annotation keys the check and graduate commands read back. */
export const ANNOTATIONS = {
  mode: 'causeway.io/mode',
  workload: 'causeway.io/workload',
  container: 'causeway.io/container',
  profileClass: 'causeway.io/profile-class',
  evidence: 'causeway.io/evidence',
  audit: 'causeway.io/audit',
  allowedExecutables: 'causeway.io/allowed-executables',
  refused: 'causeway.io/refused',
  notExpressible: 'causeway.io/not-expressible',
  reviewSelector: 'causeway.io/review-selector',
  l7Tls: 'causeway.io/l7-tls',
  graduated: 'causeway.io/graduated',
} as const;

export const DRAFT_LABEL = 'causeway.io/draft';

/** Below this many events, or a learning span under a minute, a profile is called thin. */
export const THIN_EVENTS = 50;
const THIN_SPAN_MS = 60_000;

export function draftName(p: Profile, suffix: string): string {
  return `causeway-draft-${p.identity.workloadName}-${p.identity.container}-${suffix}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
}

export function draftMetadata(
  p: Profile,
  suffix: string,
  c: ResolvedClass,
  extra: Record<string, string> = {},
): Record<string, unknown> {
  return {
    name: draftName(p, suffix),
    namespace: p.identity.namespace,
    labels: { 'app.kubernetes.io/managed-by': 'causeway', [DRAFT_LABEL]: 'true' },
    annotations: {
      [ANNOTATIONS.mode]: 'audit',
      'causeway.io/profile-id': p.id,
      [ANNOTATIONS.workload]: workloadOf(p),
      [ANNOTATIONS.container]: p.identity.container,
      [ANNOTATIONS.profileClass]: `${c.profileClass} (${c.from})`,
      [ANNOTATIONS.evidence]: evidenceOf(p),
      ...extra,
    },
  };
}

export function workloadOf(p: Profile): string {
  const i = p.identity;
  return `${i.cluster}/${i.namespace}/${i.workloadKind}/${i.workloadName}`;
}

/** `agents/Deployment/kb-tools:mcp`, for messages and the summary. */
export function describeProfile(p: Profile): string {
  const i = p.identity;
  return `${i.namespace}/${i.workloadKind}/${i.workloadName}:${i.container || '(pod)'}`;
}

export function isThin(p: Profile): boolean {
  if (p.status === 'imported') return false;
  const c = p.coverage;
  if (!c) return true;
  const span = c.firstEvent !== undefined && c.lastEvent !== undefined ? c.lastEvent - c.firstEvent : 0;
  return c.events < THIN_EVENTS || span < THIN_SPAN_MS;
}

/** `412 events from 7 processes, 10:00:02–10:09:58` (and `thin` when it is). */
export function coverageText(p: Profile): string {
  if (p.status === 'imported') return 'imported';
  const c = p.coverage ?? { events: p.observations, processes: 0 };
  const span =
    c.firstEvent !== undefined && c.lastEvent !== undefined
      ? `, ${new Date(c.firstEvent).toISOString()} to ${new Date(c.lastEvent).toISOString()}`
      : '';
  return `${c.events} events from ${c.processes} ${c.processes === 1 ? 'process' : 'processes'}${span}${isThin(p) ? ' (thin: review before relying on it)' : ''}`;
}

function evidenceOf(p: Profile): string {
  const when =
    p.learningStartedAt !== undefined && p.learningEndsAt !== undefined
      ? `, learning window ${new Date(p.learningStartedAt).toISOString()} to ${new Date(p.learningEndsAt).toISOString()}`
      : '';
  const seen = p.status === 'imported' ? '' : `, ${coverageText(p)}`;
  return `${p.status} profile from ${p.source.join('; ')}${seen}${when}`;
}

/** The pods a policy applies to; without known labels, the conventional name label (review it). */
export function podSelectorOf(p: Profile): { labels: Record<string, string>; guessed: boolean } {
  const labels = { ...(p.podLabels ?? {}) };
  delete labels['causeway.io/profile-class'];
  return Object.keys(labels).length
    ? { labels, guessed: false }
    : { labels: { 'app.kubernetes.io/name': p.identity.workloadName }, guessed: true };
}

/** An egress entry that is the cluster DNS itself (Kubescape lists it in NetworkNeighborhoods). */
export function isKubeDns(e: Egress): boolean {
  return e.podSelector?.['k8s-app'] === 'kube-dns' && (e.port === 53 || e.port === undefined);
}

/** Whether an entry allows any destination (`*`, a /0 block, or a name pattern). */
export function isWildcard(e: Egress): boolean {
  return e.ip === '*' || /\/0$/.test(e.ip) || e.dns.some((d) => d.includes('*'));
}

/** `api.openai.com:443/TCP`, `10.0.12.4:5432/TCP`, `kb-tools.agents.svc:8080/TCP`, `app=chain-postgres:5432/TCP`. */
export function destinationText(e: Egress): string {
  return `${destinationHost(e)}:${e.port ?? '*'}/${e.protocol}`;
}

/** A destination as one word: its name, its address, a service (`name.namespace.svc`) or its selectors. */
export function destinationHost(e: Egress): string {
  if (e.dns[0]) return e.dns[0];
  if (e.ip) return e.ip === '*' ? 'any' : e.ip;
  const service = e.podSelector?.['app.kubernetes.io/name'];
  const namespace = e.namespaceSelector?.['kubernetes.io/metadata.name'];
  if (service && namespace && Object.keys(e.podSelector!).length === 1) return `${service}.${namespace}.svc`;
  const labels = Object.entries({ ...e.namespaceSelector, ...e.podSelector }).map(([k, v]) => `${k}=${v}`);
  return labels.join(',') || 'any';
}
