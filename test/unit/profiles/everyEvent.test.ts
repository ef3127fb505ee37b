/**
 * Learning from every event: long-running processes (started before the stream, so no exec) are
 * learned from their file reads, connections, exits and the alerts that name them; HTTP client
 * spans teach L7 egress; a profile says how much it saw; late in-window events rewrite the row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { falcoAlert, proc, tetragonExit } from '../../../src/demo/builders.ts';
import type { ScenarioInput } from '../../../src/demo/scenario.ts';
import { cast } from '../../../src/demo/scenarios.ts';
import { benignHour } from '../../scenario/scenarios.ts';
import type { RuntimeEvent } from '../../../src/model/event.ts';
import { coverageText, isThin } from '../../../src/profiles/draftMetadata.ts';
import { ProfileBook } from '../../../src/profiles/learner.ts';
import { processPattern } from '../../../src/profiles/processPattern.ts';
import { profilesFromRows } from '../../../src/profiles/profileRows.ts';
import { falco } from '../../../src/sources/falco.ts';
import { tetragon } from '../../../src/sources/tetragon.ts';
import type { Profile } from '../../../src/profiles/profile.ts';
import { checkRow } from '../../helpers/checkRow.ts';
import { feed, finish, newRun } from '../../helpers/pipeline.ts';
import { BASE, travelAgentCalls } from './enforceScenario.ts';

const MINUTE = 60_000;

async function profilesOf(inputs: ScenarioInput[]): Promise<Profile[]> {
  const run = await finish(await feed(newRun(), inputs));
  const rows = run.sink.rows('CausewayProfiles_CL');
  for (const r of rows) checkRow('CausewayProfiles_CL', r);
  return profilesFromRows(rows);
}

const named = (profiles: Profile[], workload: string) => profiles.find((p) => p.identity.workloadName === workload)!;

describe('learning from every event', () => {
  let hour: Profile[];
  beforeAll(async () => {
    hour = await profilesOf(benignHour('aks-demo', BASE));
  });

  it('gives a workload whose processes predate the stream a complete profile: executables, processes, files, egress', () => {
    const profiles = hour;
    const checkout = named(profiles, 'checkout');
    // Java started two hours before the stream: no exec, only its file reads and connections.
    expect(checkout.executables).toEqual(['/opt/java/openjdk/bin/java', '/usr/bin/wget']);
    expect(checkout.processes).toEqual([
      '/opt/java/openjdk/bin/java -jar /app/app.jar',
      '/usr/bin/wget -qO- http://localhost:8080/healthz',
    ]);
    expect(checkout.entrypoints).toContain('/opt/java/openjdk/bin/java');
    expect(checkout.filePaths).toEqual(['/app/config/application.yaml']);
    expect(checkout.egress).toEqual([{ ip: '10.0.20.10', port: 6379, protocol: 'TCP', dns: [] }]);
    const kb = named(profiles, 'kb-tools');
    expect(kb.executables).toEqual(['/usr/local/bin/python3']);
    expect(kb.egress.map((e) => `${e.ip}:${e.port}`)).toEqual(['10.0.12.4:5432']);
  });

  it('records how much the profile saw, so a thin one shows as thin', () => {
    const profiles = hour;
    const checkout = named(profiles, 'checkout');
    // Three pods × (a probe exec and exit, a connection) every 10 s, config reads every 30 s.
    expect(checkout.coverage.events).toBe(600);
    expect(checkout.coverage.processes).toBe(183); // three Java processes and 180 probes
    expect(checkout.coverage.firstEvent).toBe(BASE + 15);
    expect(checkout.coverage.lastEvent).toBeLessThan(BASE + 10 * MINUTE);
    expect(isThin(checkout)).toBe(false);
    // The MCP server only made 28 database connections while its profile was learned.
    const kb = named(profiles, 'kb-tools');
    expect(kb.coverage.events).toBe(28);
    expect(isThin(kb)).toBe(true);
    expect(coverageText(kb)).toMatch(/^28 events from 1 process, .* \(thin: review before relying on it\)$/);
  });

  it('learns a process from its exit and from an alert that names it, without an exec', () => {
    const c = cast('aks-demo');
    const worker = proc(c.kbTools, 77, '/usr/local/bin/celery', '-A kb_tools worker --pid 8121', BASE - 600_000);
    const book = new ProfileBook(10 * MINUTE);
    const exit = decodeTetragon(tetragonExit(worker, BASE + 1000));
    book.see(exit, BASE, BASE + 1000);
    const alert = decodeFalco(
      falcoAlert({
        rule: 'Read sensitive file untrusted',
        priority: 'Warning',
        at: BASE + 2000,
        proc: proc(c.kbTools, 78, '/usr/bin/cat', '/etc/shadow', BASE + 1900),
        tags: ['filesystem'],
        fields: { 'fd.name': '/etc/shadow' },
        output: 'Sensitive file opened for reading',
        uuid: 'b3c1f6a2-6a59-4a7b-8c0d-2f1e3d4c5b6a',
      }),
    );
    book.see(alert, BASE, BASE + 2000);
    const [p] = book.all();
    expect(p!.executables).toEqual(['/usr/bin/cat', '/usr/local/bin/celery']);
    expect(p!.processes).toContain('/usr/local/bin/celery -A kb_tools worker --pid ⋯');
    expect(p!.coverage.processes).toBe(2);
  });

  it('learns what an agent calls over HTTP: host, port, method and path pattern, and the names it resolved', async () => {
    const profiles = await profilesOf(travelAgentCalls(BASE, BASE + 20 * MINUTE));
    const travel = named(profiles, 'travel-agent');
    expect(travel.egress).toEqual([
      {
        ip: '',
        port: 443,
        protocol: 'TCP',
        dns: ['api.weather.example'],
        http: [{ method: 'GET', path: '/v1/forecast/⋯' }],
        tls: true,
      },
      {
        ip: '',
        port: 443,
        protocol: 'TCP',
        dns: ['contoso-openai.openai.azure.com'],
        http: [{ method: 'POST', path: '/openai/deployments/gpt-4o/chat/completions' }],
        tls: true,
      },
    ]);
    expect(travel.dnsNames).toEqual(['api.weather.example', 'contoso-openai.openai.azure.com']);
  });

  it('rewrites the snapshot when late events from the learning window teach a completed profile', async () => {
    // All kernel events first (the watermark runs an hour ahead), then the spans: the agent's
    // profile completes on its first span, and everything after that arrives late.
    const inputs = benignHour('aks-demo', BASE);
    const ordered = [...inputs.filter((i) => i.input === 'tetragon'), ...inputs.filter((i) => i.input !== 'tetragon')];
    const inOrder = named(await profilesOf(inputs), 'support-agent');
    const late = named(await profilesOf(ordered), 'support-agent');
    expect(late.tools).toEqual(inOrder.tools);
    expect(late.toolTransitions).toEqual(inOrder.toolTransitions);
    expect(late.coverage.events).toBe(inOrder.coverage.events);
  });
});

describe('process patterns', () => {
  it('keeps the binary and collapses dynamic arguments', () => {
    expect(processPattern('/usr/local/bin/python3', '/usr/local/bin/python3 -m worker --pid 4242')).toBe(
      '/usr/local/bin/python3 -m worker --pid ⋯',
    );
    expect(processPattern('/usr/bin/wget', 'wget -qO- http://localhost:8080/healthz')).toBe(
      '/usr/bin/wget -qO- http://localhost:8080/healthz',
    );
    expect(processPattern('/bin/sh', 'sh -c cat /tmp/3f2a9c1e-77aa-4b1c-9d2e-0a1b2c3d4e5f/out')).toBe(
      '/bin/sh -c cat /tmp/⋯/out',
    );
    expect(processPattern('/app/run', '/app/run --session=20261120103000 --token [REDACTED:jwt]')).toBe(
      '/app/run --session=⋯ --token [REDACTED:jwt]',
    );
    expect(processPattern('/usr/bin/env', undefined)).toBe('/usr/bin/env');
  });
});

const ctx = { cluster: 'aks-demo', redaction: { excerpts: false, excerptLength: 0 } };

function decodeTetragon(line: string): RuntimeEvent {
  return tetragon.decode(JSON.parse(line) as Record<string, unknown>, ctx).events[0]!;
}

function decodeFalco(body: string): RuntimeEvent {
  return falco.decode(JSON.parse(body) as Record<string, unknown>, ctx).events[0]!;
}
