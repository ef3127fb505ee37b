/**
 * `causeway report <dir> --html <file>`: the story pages as one self-contained HTML file (no
 * script, inline stylesheet allowed by hash) from a tables directory, to attach to an incident.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from '../sinks/tables.ts';
import { latestStories, renderReport } from '../viewer/render.ts';

/** Rows of one JSON Lines table; a line that is not a JSON object is skipped and counted. */
function readRows(file: string): { rows: Row[]; skipped: number } {
  const rows: Row[] = [];
  let skipped = 0;
  if (!existsSync(file)) return { rows, skipped };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const row: unknown = JSON.parse(line);
      if (row && typeof row === 'object' && !Array.isArray(row)) rows.push(row as Row);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { rows, skipped };
}

export async function report(dir: string, html: string): Promise<number> {
  const storiesFile = join(dir, 'CausewayStories_CL.jsonl');
  if (!existsSync(storiesFile)) {
    process.stderr.write(
      `causeway: ${storiesFile} does not exist; pass the --out directory of replay or <data-dir>/tables of serve\n`,
    );
    return 2;
  }
  const storyRows = readRows(storiesFile);
  const evidenceRows = readRows(join(dir, 'CausewayEvidence_CL.jsonl'));
  const stories = latestStories(storyRows.rows);
  const evidence = new Map<string, Row[]>();
  const seen = new Set<string>();
  for (const r of evidenceRows.rows) {
    if (seen.has(String(r.EvidenceId))) continue;
    seen.add(String(r.EvidenceId));
    const list = evidence.get(String(r.StoryId)) ?? [];
    list.push(r);
    evidence.set(String(r.StoryId), list);
  }
  writeFileSync(html, await renderReport(stories, evidence, `report of ${dir}, ${new Date().toISOString()}`));
  const skipped = storyRows.skipped + evidenceRows.skipped;
  process.stdout.write(
    `Wrote ${stories.length} stories to ${html}${skipped ? ` (skipped ${skipped} lines that are not JSON objects)` : ''}\n`,
  );
  return 0;
}
