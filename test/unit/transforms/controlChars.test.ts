/**
 * Finding 8 of issue 14: control characters from an attacker's tool name (newline, CR, BEL, ESC
 * sequences, line separator, right-to-left override) reach no display column of any table: not
 * Evidence ToolName, not the story's Narrative, Entities, ToolNames, Timeline or Graph.
 */
import { describe, expect, it } from 'vitest';
import { demoAttack } from '../../../src/demo/scenarios.ts';
import { runScenario } from '../../helpers/pipeline.ts';

const BASE = Date.parse('2026-11-20T10:00:00Z');
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;
/** As JSON text: `read_file` followed by every kind of control character and a fake next line. */
const HOSTILE_TOOL = 'read_file\\n\\r\\u0007\\u001b[31mFORGED LINE\\u001b[0m\\u2028\\u202eelif_daer';

/** Markdown columns whose lines are ours: they may hold newlines, never a line the record wrote. */
const MULTI_LINE = /\.(Narrative|IncidentDescription)$/;

function stringsWithControls(value: unknown, path: string, into: string[]): void {
  if (typeof value === 'string') {
    const forged = MULTI_LINE.test(path) && value.split('\n').some((l) => l.startsWith('FORGED'));
    if (forged || CONTROL.test(MULTI_LINE.test(path) ? value.replaceAll('\n', ' ') : value)) into.push(path);
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) stringsWithControls(v, `${path}.${k}`, into);
}

describe('control characters in a tool name', () => {
  it('reach no column of any table', async () => {
    const inputs = demoAttack('aks-demo', BASE).map((i) => ({
      ...i,
      body: String(i.body).replaceAll('"read_file"', `"${HOSTILE_TOOL}"`),
    }));
    expect(inputs.some((i) => i.body.includes('FORGED LINE'))).toBe(true);
    const run = await runScenario(inputs);
    const evidence = run.sink.rows('CausewayEvidence_CL');
    expect(evidence.some((r) => String(r.ToolName).includes('FORGED LINE'))).toBe(true);
    const found: string[] = [];
    for (const table of ['CausewayStories_CL', 'CausewayEvidence_CL', 'CausewayProfiles_CL'] as const)
      run.sink.rows(table).forEach((row, i) => stringsWithControls(row, `${table}[${i}]`, found));
    expect(found).toEqual([]);
  });
});
