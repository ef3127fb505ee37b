/**
 * Crash at any point, restore each stage's snapshot into a new pipeline, replay from the last
 * snapshotted batch (at-least-once): the stories are the same as an uninterrupted run, and any row
 * written twice is identical by id.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoAttack } from '../../src/demo/scenarios.ts';
import { compromisedTool } from './scenarios.ts';
import { merge } from '../../src/demo/scenario.ts';
import type { Row } from '../../src/sinks/tables.ts';
import { comparable, feed, finish, liveStories, MemoryStateStore, newRun, type Run } from '../helpers/pipeline.ts';

const BASE = Date.parse('2026-11-20T10:00:00Z');
const INPUTS = merge(demoAttack('aks-demo', BASE), compromisedTool('aks-demo', BASE + 3_600_000));

/** Every partition saved, as the state store holds it. */
async function snapshot(run: Run): Promise<Map<string, string>> {
  await run.pipeline.snapshot();
  return new Map(run.state.saved);
}

/** A new owner whose state store holds the snapshot. */
function restored(snap: Map<string, string>): Run {
  const state = new MemoryStateStore();
  for (const [key, text] of snap) state.saved.set(key, text);
  return newRun(undefined, undefined, state);
}

function byId(rows: Row[], key: (r: Row) => string): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of rows) {
    const k = key(r);
    const v = JSON.stringify(r);
    if (m.has(k)) expect(m.get(k), `row ${k} written twice with different content`).toBe(v);
    m.set(k, v);
  }
  return m;
}

describe('crash and restore', () => {
  it('restoring a snapshot and replaying gives the same stories, repeating only identical rows', async () => {
    const reference = await finish(await feed(newRun(), INPUTS));
    const refStories = liveStories(reference).map(comparable);
    const refRows = byId(reference.sink.rows('CausewayStories_CL'), (r) => `${r.StoryId}/${r.Version}`);
    const refEvidence = byId(reference.sink.rows('CausewayEvidence_CL'), (r) => String(r.EvidenceId));
    expect(refStories.length).toBe(2);

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: INPUTS.length - 1 }),
        fc.integer({ min: 0, max: 3 }),
        async (crashAt, unsnapshotted) => {
          // Before the crash: batches up to crashAt are processed and snapshotted; a few more are
          // delivered to the sink but the process dies before their snapshot.
          const before = newRun();
          await feed(before, INPUTS.slice(0, crashAt));
          const snap = await snapshot(before);
          await feed(before, INPUTS.slice(crashAt, crashAt + unsnapshotted));

          // The new owner restores the snapshot and replays everything after it.
          const after = restored(snap);
          for (const [table, rows] of before.sink.tables) await after.sink.write(table, rows);
          await finish(await feed(after, INPUTS.slice(crashAt)));

          const stories = [...new Map([...before.stories, ...after.stories]).values()].filter(
            (s) => s.status !== 'merged',
          );
          const latest = new Map<string, (typeof stories)[0]>();
          for (const s of stories) if ((latest.get(s.storyId)?.version ?? -1) < s.version) latest.set(s.storyId, s);
          expect(
            [...latest.values()]
              .sort((a, b) => b.riskScore - a.riskScore || a.storyId.localeCompare(b.storyId))
              .map(comparable),
          ).toEqual(refStories);

          const rows = byId(after.sink.rows('CausewayStories_CL'), (r) => `${r.StoryId}/${r.Version}`);
          for (const [k, v] of rows) if (refRows.has(k)) expect(v).toBe(refRows.get(k));
          const evidence = byId(after.sink.rows('CausewayEvidence_CL'), (r) => String(r.EvidenceId));
          for (const k of refEvidence.keys()) expect(evidence.has(k), `evidence ${k} lost`).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});
