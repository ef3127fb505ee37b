/**
 * Reading local table files (`<dir>/<Table>.jsonl`) back, as the Sentinel parsers read the tables:
 * the report, the viewer after a restart, profile export and policy checks all read them here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, TableName } from './tables.ts';

export interface TableRead {
  rows: Row[];
  /** Lines that are not a JSON object (a line torn by a crash): skipped and counted. */
  skipped: number;
}

export function tableFile(dir: string, table: TableName): string {
  return join(dir, `${table}.jsonl`);
}

/** Every row of one table; a missing file has none. */
export function readTable(dir: string, table: TableName): TableRead {
  const file = tableFile(dir, table);
  const out: TableRead = { rows: [], skipped: 0 };
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const row: unknown = JSON.parse(line);
      if (row && typeof row === 'object' && !Array.isArray(row)) out.rows.push(row as Row);
      else out.skipped++;
    } catch {
      out.skipped++;
    }
  }
  return out;
}

/** The latest row per StoryId (`arg_max(Version, *) by StoryId`), merged ones included. */
export function latestStoryRows(rows: readonly Row[]): Map<string, Row> {
  const latest = new Map<string, Row>();
  for (const r of rows) {
    const id = String(r.StoryId);
    if (((latest.get(id)?.Version as number) ?? -1) < (r.Version as number)) latest.set(id, r);
  }
  return latest;
}

/** Stories that stand (not merged away), highest risk first, then most recent. */
export function liveStoryRows(rows: readonly Row[]): Row[] {
  return [...latestStoryRows(rows).values()]
    .filter((r) => r.Status !== 'merged')
    .sort(
      (a, b) =>
        (b.RiskScore as number) - (a.RiskScore as number) || String(b.LastSeen).localeCompare(String(a.LastSeen)),
    );
}

/**
 * The evidence rows of each story as its latest version has it: rows written under the story id
 * (of any version) less those the latest version retracted (RetractedEvidenceIds), one per id.
 */
export function evidenceByStory(storyRows: readonly Row[], evidenceRows: readonly Row[]): Map<string, Row[]> {
  const latest = latestStoryRows(storyRows);
  const out = new Map<string, Map<string, Row>>();
  for (const r of evidenceRows) {
    const storyId = String(r.StoryId);
    const story = latest.get(storyId);
    if (!story) continue;
    const retracted = story.RetractedEvidenceIds as string[] | null | undefined;
    if (retracted?.includes(String(r.EvidenceId))) continue;
    let rows = out.get(storyId);
    if (!rows) out.set(storyId, (rows = new Map()));
    rows.set(String(r.EvidenceId), r);
  }
  return new Map([...out].map(([id, rows]) => [id, [...rows.values()]]));
}
