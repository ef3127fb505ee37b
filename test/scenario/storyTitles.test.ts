/**
 * An incident whose title changes every minute is noise: a story's title changes only when its
 * meaning does (a new kind of effect), never because it grew, repeated or got later evidence.
 */
import { describe, expect, it } from 'vitest';
import { demoAttack } from '../../src/demo/scenarios.ts';
import type { Row } from '../../src/sinks/tables.ts';
import { compromisedTool, shuffledWithDuplicates } from './scenarios.ts';
import { runScenario } from '../helpers/pipeline.ts';

const BASE = Date.parse('2026-11-20T10:00:00Z');

/** Each story's versions in order: title and the rules raised so far. */
function versions(rows: Row[]): Map<string, { title: string; rules: string }[]> {
  const out = new Map<string, { version: number; title: string; rules: string }[]>();
  for (const r of rows) {
    if (r.Status === 'merged') continue;
    const rules = [...new Set((r.Signals as { ruleId: string }[]).map((s) => s.ruleId))].sort().join(',');
    const list = out.get(String(r.StoryId)) ?? [];
    list.push({ version: Number(r.Version), title: String(r.StoryTitle), rules });
    out.set(String(r.StoryId), list);
  }
  return new Map([...out].map(([id, list]) => [id, list.sort((a, b) => a.version - b.version)]));
}

/** Title changes that came without a change in the rules raised. */
function changesWithoutMeaning(list: { title: string; rules: string }[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < list.length; i++)
    if (list[i]!.title !== list[i - 1]!.title && list[i]!.rules === list[i - 1]!.rules)
      out.push(`${list[i - 1]!.title} → ${list[i]!.title}`);
  return out;
}

describe('story titles across versions', () => {
  for (const [name, inputs] of [
    ['demo', demoAttack('aks-demo', BASE)],
    ['demo, shuffled with duplicates', shuffledWithDuplicates(demoAttack('aks-demo', BASE))],
    ['compromised tool', compromisedTool('aks-demo', BASE)],
  ] as const)
    it(`change only with the story's meaning, and never return to an earlier title: ${name}`, async () => {
      const run = await runScenario([...inputs]);
      const stories = versions(run.sink.rows('CausewayStories_CL'));
      expect(stories.size).toBeGreaterThan(0);
      for (const list of stories.values()) {
        expect(changesWithoutMeaning(list)).toEqual([]);
        const titles = list.map((v) => v.title).filter((t, i, all) => i === 0 || all[i - 1] !== t);
        expect(new Set(titles).size).toBe(titles.length);
      }
    });
});
