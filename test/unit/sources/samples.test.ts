/**
 * Conformance over the real public samples in ../shared/samples (beside the repository on our
 * machines and in CI, not in a fresh clone): every file decodes to the expected events, or is
 * rejected/dropped with the right reason where it is not an event (rule catalogues, schemas,
 * baselines, API examples). Without the folder the suite is skipped and says so in one line;
 * `CAUSEWAY_SHARED_SAMPLES` points it elsewhere, and `CAUSEWAY_REQUIRE_SHARED_SAMPLES=1` (for CI)
 * turns a missing folder into a failure. `npm test` needs none of this: our own fixtures in
 * test/fixtures/ cover every format (fixtures.test.ts).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../src/model/event.ts';
import { ingest, type IngestOutput } from '../../../src/ingest/ingest.ts';
import { signals } from '../../helpers/pipeline.ts';

const SAMPLES =
  resolve(process.env.CAUSEWAY_SHARED_SAMPLES || new URL('../../../../shared/samples/', import.meta.url).pathname) +
  '/';
const PRESENT = existsSync(SAMPLES);

if (!PRESENT) {
  if (process.env.CAUSEWAY_REQUIRE_SHARED_SAMPLES === '1')
    throw new Error(
      `${SAMPLES} does not exist, and CAUSEWAY_REQUIRE_SHARED_SAMPLES=1 requires the conformance suite. Fix: check out the shared folder beside the repository or set CAUSEWAY_SHARED_SAMPLES`,
    );
  console.log(
    process.env.CAUSEWAY_SHARED_SAMPLES
      ? `skipped: ${SAMPLES} (CAUSEWAY_SHARED_SAMPLES) not present`
      : 'skipped: ../shared/samples not present',
  );
}

function decode(file: string): IngestOutput {
  return ingest([{ body: readFileSync(SAMPLES + file), input: file }], {
    decode: { cluster: 'aks-test', redaction: { excerpts: false, excerptLength: 64 } },
    limits: { maxRecordBytes: 1024 * 1024, maxDepth: 64 },
    signals: signals(),
    now: () => 0,
  });
}

function events(out: IngestOutput): RuntimeEvent[] {
  return [...out.workloadEvents.map((k) => k.event), ...out.episodes.flatMap((k) => k.episode.evidence), ...out.health];
}

/** Expected outcome per file: status counts by reason. */
const EXPECTED: Record<
  string,
  { delivered?: number; rejected?: Record<string, number>; dropped?: Record<string, number> }
> = {
  'defender/m365d-streaming-api-alert-records.elastic-test.log': { delivered: 4 },
  'defender/mdc-activity-log-alert-sample.from-docs.json': { delivered: 1 },
  'defender/mdc-alerts-api-GetAlertSubscriptionLocation_example.json': { rejected: { 'unknown-format': 1 } },
  'defender/mdc-continuous-export-eventhub-messages.elastic-test.log': {
    delivered: 1,
    dropped: { 'defender-non-alert': 4 },
  },
  'defender/mdc-continuous-export-eventhub-policy.json': { rejected: { 'unknown-format': 1 } },
  'defender/mdc-workflow-export-SecurityAlert.schema.json': { rejected: { 'unknown-format': 1 } },
  'falco/channels.md.example.json': { delivered: 1 },
  'falco/falcosidekick-response-engine-part-2-openfass.md.example.jsonl': { delivered: 2 },
  'falco/single_rule_with_cat_write.json': { delivered: 8 },
  'kubescape/01-example.yaml': { rejected: { 'malformed-json': 1 } },
  'kubescape/ap-chain-backend.yaml': { rejected: { 'malformed-json': 1 } },
  'kubescape/default-rules.yaml': { rejected: { 'malformed-json': 1 } },
  'kubescape/nn-chain-backend.yaml': { rejected: { 'malformed-json': 1 } },
  'kubescape/nn-operator.json': { rejected: { 'unknown-format': 1 } },
  'otel-mcp/mcp-examples-2025-11-25.json': { rejected: { 'unknown-format': 1 } },
  'otel-mcp/mcp-examples-2026-07-28.json': { rejected: { 'unknown-format': 1 } },
  'otel-mcp/mcp-schema-2025-11-25.json': { rejected: { 'unknown-format': 1 } },
  'otel-mcp/mcp-schema-2026-07-28.json': { rejected: { 'unknown-format': 1 } },
  'otel-mcp/otel-gen-ai-input-messages.schema.json': { rejected: { 'unknown-format': 1 } },
  'otel-mcp/otel-semconv-gen-ai-registry.yaml': { rejected: { 'malformed-json': 1 } },
  'otel-mcp/otel-semconv-mcp-registry.yaml': { rejected: { 'malformed-json': 1 } },
  'otel-mcp/otlp-trace-example.json': { dropped: { filtered: 1 } },
  'otel-mcp/toolhive-audit-event-sample.json': { delivered: 1 },
  'sentinel/ABNORMAL_SECURITY_CASE_CL.json': { rejected: { 'unknown-format': 1 } },
  'sentinel/AIShield_CL.json': { rejected: { 'unknown-format': 1 } },
  'sentinel/AbnormalSecurity_dataConnector.json': { rejected: { 'unknown-format': 1 } },
  'sentinel/AbnormalSecurity_table_Case.json': { rejected: { 'unknown-format': 1 } },
  'sentinel/Alerts_docker.json': { rejected: { 'unknown-format': 1 } },
  'sentinel/Azure_Function_ConnectorSchema.json': { rejected: { 'unknown-format': 1 } },
  'tetragon/cat_process_kprobe.json': { delivered: 1 },
  'tetragon/events.json': { delivered: 3 },
  'tetragon/filename-access.md.example.json': { delivered: 1 },
  'tetragon/merlin-agent-scp-ssh.json': { delivered: 1 },
  'tetragon/merlin-agent-scp.json': { delivered: 1 },
  'tetragon/merlin-agent-ssh-tunnel-connect.json': { delivered: 1 },
  'tetragon/nc_process_connect.json': { delivered: 1 },
  'tetragon/nc_process_exec.json': { delivered: 1 },
  'tracee/k8s-policies.md.example.jsonl': { delivered: 1 },
  'tracee/network-events.md.example.jsonl': { delivered: 1, dropped: { filtered: 1 } },
  'tracee/rules.md.example.jsonl': { delivered: 1 },
};

describe.skipIf(!PRESENT)('every sample file', () => {
  const files = (PRESENT ? readdirSync(SAMPLES) : []).flatMap((dir) =>
    readdirSync(SAMPLES + dir)
      .filter((f) => !f.endsWith('.md'))
      .map((f) => `${dir}/${f}`),
  );

  it('has an expectation here (a new sample needs one)', () => {
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED)) {
    it(`${file} → ${JSON.stringify(want)}`, () => {
      const out = decode(file);
      expect(out.report.counts.delivered).toBe(want.delivered ?? 0);
      expect(out.report.reasons.rejected).toEqual(want.rejected ?? {});
      expect(out.report.reasons.dropped).toEqual(want.dropped ?? {});
      expect(out.deadLetters).toHaveLength(out.report.counts.rejected);
      for (const d of out.deadLetters) expect(d.payloadSha256).toMatch(/^[0-9a-f]{64}$/);
    });
  }
});

describe.skipIf(!PRESENT)('decoded fields', () => {
  it('Tetragon exec: exec_id lineage, 64-hex container id, workload identity, event time', () => {
    const [e] = events(decode('tetragon/events.json'));
    expect(e).toMatchObject({
      kind: 'process.exec',
      time: Date.parse('2022-10-18T03:16:18.273Z'),
      workload: {
        cluster: 'aks-test',
        namespace: 'default',
        pod: 'tiefighter',
        container: 'spaceship',
        containerId: '19a02291e106ce6227b684197be232ea57c4e1a5ab2604a12608c325d701c7f4',
        node: 'my-node',
        image: 'docker.io/tgraf/netperf:latest',
      },
      process: {
        key: 'Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjEzNjY1ODIyNjI0ODU2OjY4Nzkw',
        pid: 68790,
        binary: '/usr/bin/netserver',
        commandLine: '/usr/bin/netserver -D',
        parentBinary: '/usr/bin/containerd-shim-runc-v2',
      },
    });
  });

  it('Tetragon kprobe: a syscall hook path without the leading slash is normalised', () => {
    const [e] = events(decode('tetragon/cat_process_kprobe.json'));
    expect(e).toMatchObject({
      kind: 'file.read',
      file: { path: '/usr/share/elasticsearch/config/elasticsearch.keystore', operation: 'read' },
    });
  });

  it('Tetragon security_file_permission: the mask gives the operation', () => {
    const [e] = events(decode('tetragon/filename-access.md.example.json'));
    expect(e).toMatchObject({
      kind: 'file.write',
      file: { path: '/etc/passwd' },
      workload: { workloadName: 'file-access', workloadKind: 'Pod' },
    });
  });

  it('Tetragon: the intact parent.exec_id wins over a corrupted parent_exec_id', () => {
    const [e] = events(decode('tetragon/merlin-agent-scp-ssh.json'));
    expect(e?.process?.parentKey).toBe('bWluaWt1YmU6NDczMzc5NjIyNTA5MDo1Mzc2Nw==');
    expect(e?.workload.containerId).toBe('80976c957594cea6d9f58d12');
  });

  it('Tetragon process_connect (enterprise format): source and destination', () => {
    const [e] = events(decode('tetragon/nc_process_connect.json'));
    expect(e).toMatchObject({
      kind: 'network.connect',
      network: { srcIp: '10.88.0.6', srcPort: 48416, dstIp: '64.225.45.153', dstPort: 443, protocol: 'TCP' },
    });
  });

  it('Falco: per-rule output fields, 12-char container id, MITRE tags', () => {
    const [e] = events(decode('falco/channels.md.example.json'));
    expect(e).toMatchObject({
      kind: 'alert',
      workload: { namespace: 'default', pod: 'kubecon', containerId: 'ee97d9c4186f', node: 'falco-xczjd' },
      alert: { vendor: 'falco', type: 'Terminal shell in container', severity: 'High', tactics: ['Execution'] },
    });
    const k8sApi = events(decode('falco/falcosidekick-response-engine-part-2-openfass.md.example.jsonl'))[1];
    expect(k8sApi?.network).toEqual({ srcIp: '172.17.0.9', srcPort: 43812, dstIp: '10.96.0.1', dstPort: 443 });
  });

  it('Defender continuous export: flat PascalCase alert with $ref entities resolved', () => {
    const [e] = events(decode('defender/mdc-continuous-export-eventhub-messages.elastic-test.log'));
    expect(e).toMatchObject({
      kind: 'alert',
      layer: 'alert',
      alert: {
        vendor: 'defender',
        type: 'ARM_AnomalousServiceOperation.CredentialAccess',
        severity: 'Medium',
        nativeId: '2517184898549829577_cdcf9f94-ec53-47a6-ab87-76130f87218d',
      },
      workload: { namespace: 'Sample-namespace', pod: 'sample-pod', container: 'sample-container' },
    });
    expect(e?.process?.commandLine).toBe('php');
  });

  it('Defender XDR streaming: AlertInfo with ATT&CK techniques from a JSON string', () => {
    const list = events(decode('defender/m365d-streaming-api-alert-records.elastic-test.log'));
    expect(list[1]?.alert).toMatchObject({
      type: 'XDR:Microsoft Defender for Endpoint:EDR',
      techniques: ['T1078', 'T1078.004'],
      tactics: ['Persistence'],
    });
  });

  it('Defender ARM shape decodes when the REST example body is posted', () => {
    const body = JSON.parse(
      readFileSync(SAMPLES + 'defender/mdc-alerts-api-GetAlertSubscriptionLocation_example.json', 'utf8'),
    ).responses['200'].body;
    const out = ingest([{ body: JSON.stringify(body), input: 'test' }], {
      decode: { cluster: 'c', redaction: { excerpts: false, excerptLength: 8 } },
      limits: { maxRecordBytes: 1e6, maxDepth: 64 },
      signals: signals(),
      now: () => 0,
    });
    expect(events(out)[0]?.alert).toMatchObject({
      type: 'VM_EICAR',
      severity: 'High',
      techniques: ['T1059', 'T1053', 'T1072', 'T1059.001', 'T1059.006', 'T1053.002'],
      tactics: ['Execution'],
    });
  });

  it('ToolHive: an MCP tool call with its caller', () => {
    const [e] = events(decode('otel-mcp/toolhive-audit-event-sample.json'));
    expect(e).toMatchObject({
      kind: 'mcp.request',
      layer: 'protocol',
      trace: { toolName: 'search_issues', mcpMethod: 'tools/call', clientAddress: '10.0.1.5', endUser: 'user-123' },
      workload: { serviceName: 'github-server' },
    });
  });

  it('Tracee: execve with argv, and a DNS answer', () => {
    expect(events(decode('tracee/k8s-policies.md.example.jsonl'))[0]).toMatchObject({
      kind: 'process.exec',
      process: { binary: '/opt/cni/bin/bridge', pid: 3242201 },
    });
    expect(events(decode('tracee/network-events.md.example.jsonl'))[0]).toMatchObject({
      kind: 'dns.query',
      network: { domain: 'www.zip.net' },
    });
  });
});
