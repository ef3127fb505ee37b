/**
 * The status report of a batch: every record counted once, by status and reason (DESIGN §6).
 * Reports from stages and sinks merge into one.
 */
import type { ReasonCode, RecordStatus } from './status.ts';

export interface BatchReport {
  counts: Record<RecordStatus, number>;
  /** `status → reason → count`. */
  reasons: Record<RecordStatus, Partial<Record<ReasonCode, number>>>;
}

export function emptyReport(): BatchReport {
  return {
    counts: { delivered: 0, rejected: 0, errored: 0, dropped: 0 },
    reasons: { delivered: {}, rejected: {}, errored: {}, dropped: {} },
  };
}

export function count(report: BatchReport, status: RecordStatus, reason: ReasonCode, n = 1): void {
  if (n === 0) return;
  report.counts[status] += n;
  report.reasons[status][reason] = (report.reasons[status][reason] ?? 0) + n;
}

export function mergeReports(into: BatchReport, from: BatchReport): BatchReport {
  for (const status of Object.keys(from.reasons) as RecordStatus[]) {
    for (const [reason, n] of Object.entries(from.reasons[status])) count(into, status, reason as ReasonCode, n ?? 0);
  }
  return into;
}

export function total(report: BatchReport): number {
  return report.counts.delivered + report.counts.rejected + report.counts.errored + report.counts.dropped;
}

/** `delivered 12 (ok 12) · rejected 2 (malformed-json 1, unknown-format 1) · …` */
export function formatReport(report: BatchReport): string {
  return (Object.keys(report.counts) as RecordStatus[])
    .map((s) => {
      const reasons = Object.entries(report.reasons[s])
        .map(([r, n]) => `${r} ${n}`)
        .join(', ');
      return `${s} ${report.counts[s]}${reasons ? ` (${reasons})` : ''}`;
    })
    .join(' · ');
}
