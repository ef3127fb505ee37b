/**
 * Story-scope rules (e.g. credentials read in one workload, egress from another): evaluated over
 * a component's evidence, with the tags its signals put on events in other workloads as the only
 * state they may ask about.
 */
import type { Episode, Signal } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { workloadKey } from '../model/workloadKey.ts';
import type { SignalEngine, SignalState } from '../signals/engine.ts';

/** The signals story-scope rules raise on these episodes together. */
export function storySignals(episodes: readonly Episode[], signals: SignalEngine): Signal[] {
  const rules = signals.storyRules;
  if (!rules.length) return [];
  const events = new Map<string, RuntimeEvent>();
  const tagged: { tag: string; time: number; eventId: string; workload: string }[] = [];
  for (const ep of episodes) {
    for (const e of ep.evidence) events.set(e.id, e);
    for (const s of ep.signals)
      for (const tag of signals.tagsByRule.get(s.ruleId) ?? [])
        tagged.push({ tag, time: s.time, eventId: s.eventId, workload: ep.workloadKey });
  }
  if (!tagged.length) return [];
  const out: Signal[] = [];
  for (const event of events.values()) {
    const state: SignalState = {
      firstSeen: () => false,
      toolJump: () => undefined,
      // The workload stage marked what its container's baseline holds.
      routine: (kind, e) => (e.routine?.includes(kind) ? 'routine' : 'new'),
      taggedBefore: (tags, withinMs, e) => {
        const own = workloadKey(e.workload);
        const hit = tagged.find(
          (t) => tags.includes(t.tag) && t.workload !== own && t.time <= e.time && e.time - t.time <= withinMs,
        );
        return hit ? { eventId: hit.eventId, tag: hit.tag } : undefined;
      },
    };
    for (const rule of rules) {
      const s = signals.evaluateStoryRule(rule, event, state);
      if (s) out.push(s);
    }
  }
  return out;
}
