/**
 * Draft policies read back for `causeway policy check` and `graduate`: the Kubernetes objects of a
 * YAML or JSON file (Causeway's drafts or hand-written ones), each with the workload it applies
 * to. Causeway's drafts name it in annotations; otherwise the namespace and the conventional name
 * label (`app.kubernetes.io/name`, `app`, `k8s-app`) of the selector say it.
 */
import { parseAllDocuments } from 'yaml';
import { describeErrors, validator } from '../schemas.ts';
import { ANNOTATIONS } from './draftMetadata.ts';

export type DraftKind = 'NetworkPolicy' | 'CiliumNetworkPolicy' | 'SeccompProfile';
const KINDS: Record<DraftKind, string> = {
  NetworkPolicy: 'networking.k8s.io/',
  CiliumNetworkPolicy: 'cilium.io/',
  SeccompProfile: 'security-profiles-operator.x-k8s.io/',
};

/** The schema each kind is checked against (schemas/k8s, written from the public CRD/OpenAPI definitions). */
export const DRAFT_SCHEMAS: Record<DraftKind, string> = {
  NetworkPolicy: 'networkpolicy.schema.json',
  CiliumNetworkPolicy: 'ciliumnetworkpolicy.schema.json',
  SeccompProfile: 'seccompprofile.schema.json',
};

export class DraftError extends Error {
  override name = 'DraftError';
}

export interface DraftDocument {
  kind: DraftKind;
  /** 1-based position in the file, for messages. */
  index: number;
  name: string;
  namespace: string;
  /** The workload's name (and container, for seccomp) the draft applies to. */
  workloadName: string;
  container?: string;
  doc: Record<string, unknown>;
}

const NAME_LABELS = ['app.kubernetes.io/name', 'app', 'k8s-app', 'k8s:app.kubernetes.io/name', 'k8s:app'];

/** Every policy object in a file; `file` names it in errors, which never quote its content. */
export function readDrafts(text: string, file: string): DraftDocument[] {
  let docs: unknown[];
  try {
    docs = parseAllDocuments(text).map((d) => {
      if (d.errors.length) throw new Error(d.errors[0]!.message.split('\n')[0]);
      return d.toJS() as unknown;
    });
  } catch (e) {
    throw new DraftError(`${file}: not valid YAML or JSON (${(e as Error).message})`);
  }
  const out: DraftDocument[] = [];
  docs.forEach((d, i) => {
    if (d === null || d === undefined) return;
    const o = d as { apiVersion?: unknown; kind?: unknown; metadata?: Record<string, unknown>; spec?: unknown };
    const kind = o.kind as DraftKind;
    if (typeof o !== 'object' || !(kind in KINDS) || !String(o.apiVersion ?? '').startsWith(KINDS[kind]))
      throw new DraftError(
        `${file}: document ${i + 1} is not a NetworkPolicy (networking.k8s.io/v1), CiliumNetworkPolicy (cilium.io/v2) or SeccompProfile (security-profiles-operator.x-k8s.io/v1beta1)`,
      );
    const validate = validator('k8s', DRAFT_SCHEMAS[kind]);
    if (!validate(o))
      throw new DraftError(
        `${file}: document ${i + 1} is not a valid ${kind} (${describeErrors(validate.errors)}; schemas/k8s/${DRAFT_SCHEMAS[kind]})`,
      );
    const meta = o.metadata ?? {};
    const annotations = (meta.annotations ?? {}) as Record<string, string>;
    const namespace = String(meta.namespace ?? 'default');
    const workload = annotations[ANNOTATIONS.workload]?.split('/');
    const workloadName = workload?.length === 4 ? workload[3]! : nameFromSelector(kind, o.spec);
    if (!workloadName)
      throw new DraftError(
        `${file}: document ${i + 1} (${kind}) does not say which workload it is for: add the annotation ${ANNOTATIONS.workload}: <cluster>/<namespace>/<kind>/<name>, or select pods by app.kubernetes.io/name`,
      );
    out.push({
      kind,
      index: i + 1,
      name: String(meta.name ?? `document ${i + 1}`),
      namespace,
      workloadName,
      container: annotations[ANNOTATIONS.container],
      doc: o as Record<string, unknown>,
    });
  });
  if (!out.length) throw new DraftError(`${file}: no policy documents in the file`);
  return out;
}

function nameFromSelector(kind: DraftKind, spec: unknown): string | undefined {
  const s = (spec ?? {}) as Record<string, { matchLabels?: Record<string, string> } | undefined>;
  const labels = (kind === 'CiliumNetworkPolicy' ? s.endpointSelector : s.podSelector)?.matchLabels ?? {};
  for (const k of NAME_LABELS) if (labels[k]) return labels[k];
  return undefined;
}
