/**
 * `causeway report <dir> --html <file>`: the story pages as one self-contained HTML file (no
 * script, inline stylesheet allowed by hash) from a tables directory, to attach to an incident.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { evidenceByStory, liveStoryRows, readTable, tableFile } from '../sinks/tableFiles.ts';
import { renderReport } from '../viewer/render.ts';

export async function report(dir: string, html: string): Promise<number> {
  const storiesFile = tableFile(dir, 'CausewayStories_CL');
  if (!existsSync(storiesFile)) {
    process.stderr.write(
      `causeway: ${storiesFile} does not exist; pass the --out directory of replay or <data-dir>/tables of serve\n`,
    );
    return 2;
  }
  const storyRows = readTable(dir, 'CausewayStories_CL');
  const evidenceRows = readTable(dir, 'CausewayEvidence_CL');
  const stories = liveStoryRows(storyRows.rows);
  const evidence = evidenceByStory(storyRows.rows, evidenceRows.rows);
  writeFileSync(html, await renderReport(stories, evidence, `report of ${dir}, ${new Date().toISOString()}`));
  const skipped = storyRows.skipped + evidenceRows.skipped;
  process.stdout.write(
    `Wrote ${stories.length} stories to ${html}${skipped ? ` (skipped ${skipped} lines that are not JSON objects)` : ''}\n`,
  );
  return 0;
}
