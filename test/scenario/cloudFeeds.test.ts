/**
 * Cloud audit logs and the feed watch through the whole in-process pipeline (the runner every host
 * uses): a kube-audit feed that stops gives exactly one feed-silent row, which the shipped analytics
 * rule alerts on once, and one feed-resumed row when it comes back; cloud events reach the story
 * partitions (kube-audit by cluster, sign-ins and vault operations in every partition) and leave one
 * usage profile per identity; the watch survives a snapshot and restore.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { healthReport } from '../../src/pipeline/health.ts';
import { InProcessPipeline, type InputBody } from '../../src/pipeline/inProcess.ts';
import type { Row } from '../../src/sinks/tables.ts';
import { silentLogger } from '../../src/telemetry/log.ts';
import { checkRow } from '../helpers/checkRow.ts';
import { fixtureRecords, readFixture } from '../helpers/fixtures.ts';
import { ROOT } from '../helpers/kusto.ts';
import { MemorySink, MemoryStateStore, signals, testConfig } from '../helpers/pipeline.ts';
import { ruleWindow, simulateAlerts, type SimulatedRow } from '../helpers/ruleWindow.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-03-14T10:00:00Z');

/** A pipeline whose wall clock the test moves. */
function pipeline(env: Record<string, string> = {}, state = new MemoryStateStore()) {
  const clock = { now: T0 };
  const sink = new MemorySink();
  const p = new InProcessPipeline({
    config: testConfig(env),
    signals: signals(),
    sink,
    logger: silentLogger,
    host: 'test',
    clock: () => clock.now,
    state,
  });
  return { p, sink, clock, state };
}

/** One kube-audit record (a workload's `get configmaps`) with an audit id of its own, as the Diagnostic Setting sends it. */
function kubeAudit(minute: number): string {
  const [, template] = fixtureRecords('cloud/aks-kube-audit.json')[0]!.records as Record<string, unknown>[];
  const props = template!.properties as { log: string };
  const event = JSON.parse(props.log) as Record<string, unknown>;
  event.auditID = `00000000-0000-4000-8000-${String(minute).padStart(12, '0')}`;
  event.stageTimestamp = new Date(T0 + minute * MIN).toISOString();
  return JSON.stringify({ records: [{ ...template, properties: { ...props, log: JSON.stringify(event) } }] });
}

const pipelineRows = (sink: MemorySink, type: string): Row[] =>
  sink.rows('CausewayPipeline_CL').filter((r) => r.RecordType === type);

describe('the feed watch', () => {
  it('writes exactly one feed-silent row when kube-audit stops, the rule alerts on it once, and one feed-resumed row when it returns', async () => {
    const { p, sink, clock } = pipeline();
    const tetragon = readFixture('tetragon/export.jsonl');
    for (let minute = 0; minute <= 180; minute += 5) {
      clock.now = T0 + minute * MIN;
      const inputs: InputBody[] = [{ body: tetragon, input: 'POST /tetragon' }];
      // kube-audit arrives every five minutes for the first hour and ten minutes, then stops; it comes back at 170.
      if (minute <= 70 || minute >= 170) inputs.push({ body: kubeAudit(minute), input: 'POST /cloud' });
      await p.submit(inputs);
      await p.tick();
    }

    const silent = pipelineRows(sink, 'feed-silent');
    expect(silent).toHaveLength(1);
    expect(silent[0]).toMatchObject({
      TimeGenerated: new Date(T0 + 90 * MIN).toISOString(),
      Feed: 'aks.kube-audit',
      Cluster: 'aks-agents',
      LastSeen: new Date(T0 + 70 * MIN).toISOString(),
      ExpectedIntervalMinutes: 15,
      Stage: 'story',
    });
    expect(String(silent[0]!.Reason)).toMatch(/aks\.kube-audit from aks-agents has not arrived since/);
    checkRow('CausewayPipeline_CL', silent[0]!);

    const resumed = pipelineRows(sink, 'feed-resumed');
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ Feed: 'aks.kube-audit', Cluster: 'aks-agents', LastSeen: silent[0]!.LastSeen });
    expect(resumed[0]!.Details).toEqual({ silentMinutes: 100 });

    // The shipped rule: its filter selects the row, and its window alerts on it exactly once,
    // however late the row is ingested and however often the rule runs.
    const rule = parseYaml(readFileSync(ROOT + 'kql/rules/expected-feed-silent.yaml', 'utf8')) as {
      kind: string;
      query: string;
      queryFrequency: string;
      queryPeriod: string;
    };
    const filter = /\| where RecordType == "([\w-]+)"\n/.exec(rule.query)?.[1];
    expect(filter).toBe('feed-silent');
    const window = ruleWindow(rule);
    expect(window.keys).toEqual(['Cluster', 'Feed', 'LastSeen']);
    const table: SimulatedRow[] = sink.rows('CausewayPipeline_CL').flatMap((r) => {
      const timeGenerated = (Date.parse(String(r.TimeGenerated)) - T0) / MIN;
      const values = {
        RecordType: String(r.RecordType),
        Cluster: String(r.Cluster),
        Feed: String(r.Feed),
        LastSeen: String(r.LastSeen),
      };
      // Written once, and delivered again 20 minutes later (at-least-once).
      return [
        { values, timeGenerated, ingestedAt: timeGenerated + 4 },
        { values, timeGenerated, ingestedAt: timeGenerated + 24 },
      ];
    });
    const alerts = simulateAlerts(
      window,
      table.filter((r) => r.values.RecordType === filter),
      400,
      ['Cluster', 'Feed'],
    );
    expect(alerts).toEqual(['aks-agents/aks.kube-audit']);

    // The health report names the feed and its state.
    const health = healthReport(p.runner);
    expect(health.feeds.silent).toBe(0);
    expect(health.feeds.list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scope: 'aks-agents',
          feed: 'aks.kube-audit',
          status: 'ok',
          expectedIntervalMinutes: 15,
        }),
        expect.objectContaining({ scope: 'aks-fixture', feed: 'tetragon', status: 'ok' }),
      ]),
    );
  });

  it('survives a snapshot: a restored story partition neither repeats the silence nor misses the return', async () => {
    const state = new MemoryStateStore();
    const first = pipeline({}, state);
    for (let minute = 0; minute <= 100; minute += 5) {
      first.clock.now = T0 + minute * MIN;
      if (minute <= 60) await first.p.submit([{ body: kubeAudit(minute), input: 'POST /cloud' }]);
      await first.p.tick();
    }
    expect(pipelineRows(first.sink, 'feed-silent')).toHaveLength(1);
    expect(healthReport(first.p.runner).feeds.silent).toBe(1);
    await first.p.snapshot();

    const second = pipeline({}, state);
    for (let minute = 105; minute <= 150; minute += 5) {
      second.clock.now = T0 + minute * MIN;
      if (minute === 150) await second.p.submit([{ body: kubeAudit(minute), input: 'POST /cloud' }]);
      await second.p.tick();
    }
    expect(pipelineRows(second.sink, 'feed-silent')).toEqual([]);
    expect(pipelineRows(second.sink, 'feed-resumed')).toHaveLength(1);
  });

  it('does not count the bundled demo as a feed', async () => {
    const { p, sink, clock } = pipeline();
    for (let minute = 0; minute <= 200; minute += 10) {
      clock.now = T0 + minute * MIN;
      if (minute === 0) await p.submit([{ body: kubeAudit(0), input: 'demo/cloud' }]);
      await p.tick();
    }
    expect(healthReport(p.runner).feeds.list).toEqual([]);
    expect(pipelineRows(sink, 'feed-silent')).toEqual([]);
  });
});

describe('cloud events in the pipeline', () => {
  const cloudFiles = ['cloud/aks-kube-audit.json', 'cloud/entra-signins.json', 'cloud/keyvault-audit.json'];

  it('reach the story partitions: kube-audit in its cluster’s, sign-ins and vault operations in every one', async () => {
    const { p } = pipeline({ CAUSEWAY_STORY_PARTITIONS: '3' });
    const result = await p.submit(cloudFiles.map((f) => ({ body: readFixture(f), input: 'POST /cloud' })));
    expect(result.records.counts).toMatchObject({ delivered: 10, rejected: 0 });
    const episodes = p.runner.owner.stats('story').map((s) => s.episodes as number);
    // 3 kube-audit requests in one partition, 7 broadcast sign-ins and vault operations in all three.
    expect(episodes.reduce((a, b) => a + b, 0)).toBe(3 + 3 * 7);
    expect(Math.max(...episodes) - Math.min(...episodes)).toBe(3);
    // Alone, audit logs are no attack: no story.
    expect(result.stories).toEqual([]);
  });

  it('leave one usage profile per identity at the end of input, whichever partitions saw them', async () => {
    const { p, sink } = pipeline({ CAUSEWAY_STORY_PARTITIONS: '3' });
    await p.submit(cloudFiles.map((f) => ({ body: readFixture(f), input: 'POST /cloud' })));
    await p.flush();
    const rows = sink.rows('CausewayProfiles_CL').filter((r) => r.RecordType === 'cloud-usage');
    for (const r of rows) checkRow('CausewayProfiles_CL', r);
    expect(rows.map((r) => r.Principal).sort()).toEqual([
      'app-travel-agent',
      'id-research-agent',
      'system:serviceaccount:agents:research-agent',
    ]);
    const sa = rows.find((r) => r.WorkloadKind === 'ServiceAccount')!;
    expect(sa).toMatchObject({ Cluster: 'aks-agents', Namespace: 'agents', WorkloadName: 'research-agent' });
    expect(
      (sa.CloudUsage as { operation: string; resource: string }[]).map((u) => `${u.operation} ${u.resource}`).sort(),
    ).toEqual(['create clusterrolebindings', 'create pods/exec', 'get secrets']);
    const mi = rows.find((r) => r.Principal === 'id-research-agent')!;
    expect(mi).toMatchObject({
      PrincipalId: '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a',
      AppId: '3f2e1d0c-9b8a-4765-8432-10fedcba9876',
    });
    expect((mi.CloudUsage as { operation: string }[]).map((u) => u.operation).sort()).toEqual([
      'SecretGet',
      'SecretList',
      'sign-in',
    ]);
  });
});
