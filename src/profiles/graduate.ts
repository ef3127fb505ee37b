/**
 * The enforcing version of a draft, once `policy check` has found it clean over long enough: the
 * draft and audit markers come off, a SeccompProfile refuses what it does not list
 * (`SCMP_ACT_ERRNO`), and the object records what it was checked against. Same name and namespace,
 * so applying it replaces the draft.
 */
import { ANNOTATIONS, DRAFT_LABEL } from './draftMetadata.ts';
import type { DraftDocument } from './draftDocument.ts';
import type { Window } from './policyCheck.ts';

export interface GraduationEvidence {
  window: Window;
  /** Distinct flows judged against the draft. */
  flows: number;
  /** Observations the flows came from (events, or table rows). */
  records: number;
}

export function graduateDraft(draft: DraftDocument, evidence: GraduationEvidence): Record<string, unknown> {
  const doc = structuredClone(draft.doc) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: Record<string, unknown>;
  };
  const meta = (doc.metadata ??= {});
  if (meta.labels) {
    delete meta.labels[DRAFT_LABEL];
    if (!Object.keys(meta.labels).length) delete meta.labels;
  }
  const annotations = (meta.annotations ??= {});
  delete annotations[ANNOTATIONS.mode];
  delete annotations[ANNOTATIONS.audit];
  const { first, last } = evidence.window;
  const window = `${new Date(first).toISOString()} to ${new Date(last).toISOString()} (${formatDuration(last - first)})`;
  annotations[ANNOTATIONS.graduated] =
    `checked clean against ${evidence.flows} distinct flows from ${evidence.records} observations, ${window}`;
  if (draft.kind === 'SeccompProfile' && doc.spec) doc.spec.defaultAction = 'SCMP_ACT_ERRNO';
  return doc as Record<string, unknown>;
}

/** `7d`, `36h`, `90m` → milliseconds; undefined when it is not one of those. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(d|h|m)$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2]!.toLowerCase() as 'd' | 'h' | 'm'];
  return Number(m[1]) * unit;
}

/** `7 d 2 h`, `1 h 0 m`, `12 m`. */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d) return h ? `${d} d ${h} h` : `${d} d`;
  if (h) return `${h} h ${m} m`;
  return `${m} m`;
}
