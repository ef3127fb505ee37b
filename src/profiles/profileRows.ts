/**
 * Profiles back from `CausewayProfiles_CL` rows (a local tables directory or a Log Analytics
 * export): the latest snapshot per profile, with what it learned and how much it saw.
 */
import type { Row } from '../model/row.ts';
import { withDefaults, type Egress, type Profile, type ProfileCoverage } from './profile.ts';

/** The latest snapshot row per profile id, as profiles; deviation rows are left to the caller. */
export function profilesFromRows(rows: readonly Row[]): Profile[] {
  const latest = new Map<string, Row>();
  for (const row of rows) {
    if (row.RecordType !== 'snapshot') continue;
    const prev = latest.get(String(row.ProfileId));
    if (!prev || String(prev.TimeGenerated) <= String(row.TimeGenerated)) latest.set(String(row.ProfileId), row);
  }
  return [...latest.values()].map(profileFromRow);
}

function profileFromRow(r: Row): Profile {
  const coverage = (r.Coverage ?? {}) as Record<string, unknown>;
  return withDefaults({
    id: String(r.ProfileId),
    identity: {
      cluster: String(r.Cluster ?? ''),
      namespace: String(r.Namespace ?? ''),
      workloadKind: String(r.WorkloadKind ?? ''),
      workloadName: String(r.WorkloadName ?? ''),
      container: String(r.Container ?? ''),
    },
    status: (r.ProfileStatus as Profile['status']) ?? 'complete',
    source: String(r.Source ?? 'learned').split('; '),
    learningEndsAt: time(r.LearningEndsAt),
    observations: Number(coverage.Events ?? 0),
    podLabels: undefined,
    executables: strings(r.Executables),
    processes: strings(r.Processes),
    entrypoints: strings(r.Entrypoints),
    filePaths: strings(r.FilePaths),
    egress: Array.isArray(r.Egress) ? (r.Egress as Egress[]) : [],
    dnsNames: strings(r.DnsNames),
    tools: strings(r.Tools),
    toolTransitions: strings(r.ToolTransitions),
    syscalls: strings(r.Syscalls),
    coverage: {
      events: Number(coverage.Events ?? 0),
      processes: Number(coverage.Processes ?? 0),
      firstEvent: time(coverage.FirstEvent),
      lastEvent: time(coverage.LastEvent),
      watchedUntil: time(coverage.WatchedUntil),
    } satisfies ProfileCoverage,
  });
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function time(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}
