/**
 * A model of how Microsoft Sentinel runs an analytics rule over time, to check that each row the
 * rule is about alerts exactly once however late it is ingested:
 * - Scheduled: every queryFrequency, the query sees the rows whose TimeGenerated lies in the last
 *   queryPeriod and that are ingested by then (Sentinel applies queryPeriod to TimeGenerated);
 * - NRT: every minute, the query sees the rows ingested during the last minute.
 * The window the query adds itself is read from the rule's KQL, in one of the two shapes below;
 * any other shape is refused, so the model cannot silently drift from the rule.
 */

/** How one rule selects and deduplicates rows per run. */
export interface RuleWindow {
  kind: 'Scheduled' | 'NRT';
  /** Minutes between runs. */
  frequency: number;
  /** Minutes of TimeGenerated each run sees (Scheduled). */
  period: number;
  /** The query's own ingestion-time filter in minutes, and whether it applies before or after grouping. */
  ingestion?: { minutes: number; appliesTo: 'rows' | 'first-ingestion' };
  /** `summarize … by` columns: one alert per group. */
  keys: string[];
  /** Which row of a group alerts: the first ingested, or the largest value of a column. */
  pick: { first: 'ingestion' } | { max: string };
}

/** A row of the table the rule reads. Times are in minutes. */
export interface SimulatedRow {
  values: Record<string, string | number>;
  timeGenerated: number;
  ingestedAt: number;
}

const MINUTES = { m: 1, h: 60, d: 1440 } as const;

/** `15m` → 15, `1h` → 60. */
export function minutes(d: string): number {
  const unit = d.slice(-1) as keyof typeof MINUTES;
  if (!(unit in MINUTES)) throw new Error(`duration ${d}: expected a number followed by m, h or d`);
  return Number(d.slice(0, -1)) * MINUTES[unit];
}

const keyList = (s: string) => s.split(',').map((k) => k.trim());

/** Reads a rule's window from its YAML fields; throws when the query has neither known shape. */
export function ruleWindow(rule: {
  kind: string;
  query: string;
  queryFrequency?: string;
  queryPeriod?: string;
}): RuleWindow {
  const q = rule.query;
  if (rule.kind === 'NRT') {
    const m = /\| summarize arg_max\((\w+), \*\) by ([\w, ]+)\n/.exec(q);
    if (!m || /ingestion_time\(\)/.test(q))
      throw new Error('NRT rule: expected `summarize arg_max(<column>, *) by <keys>` and no ingestion_time() filter');
    return { kind: 'NRT', frequency: 1, period: Infinity, keys: keyList(m[2]!), pick: { max: m[1]! } };
  }
  const base = {
    kind: 'Scheduled' as const,
    frequency: minutes(rule.queryFrequency!),
    period: minutes(rule.queryPeriod!),
  };
  const current =
    /\| extend IngestedAt = ingestion_time\(\)\n\s*\| summarize arg_min\(IngestedAt, \*\) by ([\w, ]+)\n\s*\| where IngestedAt > ago\((\w+)\)\n/.exec(
      q,
    );
  if (current && (q.match(/ingestion_time\(\)/g) ?? []).length === 1)
    return {
      ...base,
      ingestion: { minutes: minutes(current[2]!), appliesTo: 'first-ingestion' },
      keys: keyList(current[1]!),
      pick: { first: 'ingestion' },
    };
  const legacy = /\| where ingestion_time\(\) > ago\((\w+)\)\n\s*\| summarize arg_max\((\w+), \*\) by ([\w, ]+)\n/.exec(
    q,
  );
  if (legacy)
    return {
      ...base,
      ingestion: { minutes: minutes(legacy[1]!), appliesTo: 'rows' },
      keys: keyList(legacy[3]!),
      pick: { max: legacy[2]! },
    };
  throw new Error('Scheduled rule: the query has no ingestion-time window in a shape this model knows');
}

/**
 * Runs the rule from time 0 to `until` over `rows` and returns the alerts: one entry per alert, the
 * alerting row's `alertKey` columns joined with '/'.
 */
export function simulateAlerts(window: RuleWindow, rows: SimulatedRow[], until: number, alertKey: string[]): string[] {
  const alerts: string[] = [];
  for (let t = window.frequency; t <= until; t += window.frequency) {
    const visible = rows.filter((r) =>
      window.kind === 'NRT'
        ? r.ingestedAt > t - 1 && r.ingestedAt <= t
        : r.timeGenerated > t - window.period && r.timeGenerated <= t && r.ingestedAt <= t,
    );
    const candidates =
      window.ingestion?.appliesTo === 'rows'
        ? visible.filter((r) => r.ingestedAt > t - window.ingestion!.minutes)
        : visible;
    const groups = new Map<string, SimulatedRow[]>();
    for (const r of candidates) {
      const k = window.keys.map((c) => String(r.values[c])).join('/');
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const group of groups.values()) {
      const pick = window.pick;
      const row =
        'first' in pick
          ? group.reduce((a, b) => (b.ingestedAt < a.ingestedAt ? b : a))
          : group.reduce((a, b) =>
              Number(b.values[pick.max] ?? b.timeGenerated) > Number(a.values[pick.max] ?? a.timeGenerated) ? b : a,
            );
      if (window.ingestion?.appliesTo === 'first-ingestion' && !(row.ingestedAt > t - window.ingestion.minutes))
        continue;
      alerts.push(alertKey.map((c) => String(row.values[c])).join('/'));
    }
  }
  return alerts;
}
