/**
 * The cloud audit decoders (AKS kube-audit, Entra workload sign-ins, Key Vault AuditEvent) over our
 * own fixtures in test/fixtures/cloud (README there): per file, what is delivered, dropped and
 * rejected; per format, the fields each decoder reads and the fallbacks for documented fields no
 * public sample has; and where stage ① routes each event. Expected values come from the fixture text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudInfo, RuntimeEvent } from '../../../src/model/event.ts';
import { BROADCAST } from '../../../src/model/episode.ts';
import { ingest, type IngestOutput } from '../../../src/ingest/ingest.ts';
import { total } from '../../../src/common/report.ts';
import { evidenceRow } from '../../../src/sinks/rows.ts';
import { aksAudit } from '../../../src/sources/cloud/aksAudit.ts';
import { parseResourceId } from '../../../src/sources/cloud/resourceLog.ts';
import { detectSource } from '../../../src/sources/registry.ts';
import { checkRow } from '../../helpers/checkRow.ts';
import { fixtureFiles, fixtureRecords, readFixture } from '../../helpers/fixtures.ts';
import { signals } from '../../helpers/pipeline.ts';

const options = (cluster = 'aks-test') => ({
  decode: { cluster, redaction: { excerpts: false, excerptLength: 64 } },
  limits: { maxRecordBytes: 1024 * 1024, maxDepth: 64 },
  signals: signals(),
  now: () => Date.parse('2026-03-14T10:30:00Z'),
});

function decode(body: Buffer | string, cluster?: string): IngestOutput {
  return ingest([{ body, input: 'test' }], options(cluster));
}

/** The events stage ① forwards (cloud events go to the story stage as episodes), in order. */
function events(out: IngestOutput): RuntimeEvent[] {
  return [...out.workloadEvents.map((k) => k.event), ...out.episodes.flatMap((k) => k.episode.evidence)];
}

const cloud = (out: IngestOutput): CloudInfo[] => events(out).map((e) => e.cloud!);
const envelope = (records: unknown[]) => JSON.stringify({ records });

/** Expected outcome per fixture file. */
const EXPECTED: Record<
  string,
  { delivered: number; rejected?: Record<string, number>; dropped?: Record<string, number> }
> = {
  // 3 workload requests; RequestReceived is a duplicate; controller, node and klog text are filtered.
  'cloud/aks-kube-audit.json': { delivered: 3, dropped: { duplicate: 1, filtered: 3 } },
  'cloud/aks-kube-audit-edge-cases.jsonl': { delivered: 2, rejected: { 'schema-mismatch': 2 } },
  'cloud/entra-signins.json': { delivered: 3, dropped: { filtered: 1 } },
  'cloud/entra-signins-per-line.jsonl': { delivered: 1, rejected: { 'schema-mismatch': 1 } },
  'cloud/keyvault-audit.json': { delivered: 4, dropped: { filtered: 1 } },
};

describe('every cloud fixture file', () => {
  it('has an expectation here (a new fixture needs one)', () => {
    expect(fixtureFiles('cloud').sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED))
    it(`${file} → ${JSON.stringify(want)}`, () => {
      const out = decode(readFixture(file));
      expect(out.report.counts.delivered).toBe(want.delivered);
      expect(out.report.reasons.rejected).toEqual(want.rejected ?? {});
      expect(out.report.reasons.dropped).toEqual(want.dropped ?? {});
      const lettered = out.deadLetters.reduce((n, d) => n + (d.count ?? 1), 0);
      expect(lettered).toBe(out.report.counts.rejected);
    });
});

describe('AKS kube-audit', () => {
  const out = decode(readFixture('cloud/aks-kube-audit.json'));
  const [secretGet, exec, binding] = events(out);

  it('names the cluster from the upper-cased resource id, lower-cased, and keeps the audit id as the event id', () => {
    expect(secretGet).toMatchObject({
      id: 'aks:0f3e2d1c-b4a5-4968-8776-a1b2c3d4e5f6',
      layer: 'cloud',
      kind: 'cloud.api-request',
      time: Date.parse('2026-03-14T10:02:11.418Z'),
      source: { product: 'aks', format: 'aks.kube-audit', nativeId: '0f3e2d1c-b4a5-4968-8776-a1b2c3d4e5f6' },
      workload: { cluster: 'aks-agents' },
    });
    expect(secretGet!.workload).toEqual({ cluster: 'aks-agents' });
  });

  it('reads the service account and the bound-token extras: pod name and uid, node, credential id', () => {
    expect(secretGet!.cloud).toMatchObject({
      principal: 'system:serviceaccount:agents:research-agent',
      principalType: 'service-account',
      serviceAccountNamespace: 'agents',
      serviceAccountName: 'research-agent',
      boundPod: 'research-agent-7b9c6d5f8-x2kqz',
      boundPodUid: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
      boundNode: 'aks-nodepool1-31415926-vmss000002',
      credentialId: 'JTI=3c2b1a09-8f7e-4d6c-b5a4-938271605f4e',
      operation: 'get',
      resource: 'secrets',
      namespace: 'agents',
      name: 'search-api-key',
      result: 'success',
      resultCode: '200',
      sourceIp: '10.244.1.17',
      subscriptionId: '0b7e1a52-6c1d-4f0a-9e3b-2d5c8a71f004',
    });
  });

  it('takes the last source IP as the caller (earlier ones are X-Forwarded-For, set by the client) and keeps them all', () => {
    expect(exec!.cloud).toMatchObject({
      operation: 'create',
      resource: 'pods/exec',
      namespace: 'payments',
      name: 'ledger-5f4d8c9b7-m2n8p',
      sourceIp: '203.0.113.50',
      sourceIps: ['192.0.2.44', '203.0.113.50'],
      resultCode: '101',
      result: 'success',
    });
    expect(exec!.cloud!.boundPod).toBeUndefined();
    expect(exec!.cloud!.credentialId).toBeUndefined();
  });

  it('marks a refused request a failure, from kube-audit-admin', () => {
    expect(binding).toMatchObject({ source: { format: 'aks.kube-audit-admin' } });
    expect(binding!.cloud).toMatchObject({
      operation: 'create',
      resource: 'clusterrolebindings',
      result: 'failure',
      resultCode: '403',
    });
  });

  it('routes workload requests to the story stage keyed by cluster, and counts the control plane as filtered', () => {
    expect(out.episodes.map((e) => e.key)).toEqual(['aks-agents', 'aks-agents', 'aks-agents']);
    expect(out.workloadEvents).toEqual([]);
    expect(out.report.reasons.dropped.filtered).toBe(3);
  });

  it('counts every decoded request for its feed, filtered or not, per category', () => {
    expect(out.feedBeats).toEqual([
      {
        key: 'aks-agents',
        feedBeats: [
          expect.objectContaining({ scope: 'aks-agents', feed: 'aks.kube-audit', events: 4 }),
          expect.objectContaining({ scope: 'aks-agents', feed: 'aks.kube-audit-admin', events: 1 }),
        ],
      },
    ]);
  });

  it('reads a log behind a byte-order mark, a non-resource path without its query, and capitalised keys', () => {
    const edge = cloud(decode(readFixture('cloud/aks-kube-audit-edge-cases.jsonl')));
    expect(edge[0]).toMatchObject({ operation: 'get', resource: '/version' });
    expect(edge[1]).toMatchObject({ operation: 'list', resource: 'configmaps', namespace: 'agents' });
  });

  it('dead-letters a cut-off log and an event without auditID, naming the fault, not the payload', () => {
    const text = readFixture('cloud/aks-kube-audit-edge-cases.jsonl').toString();
    const [, cut, noId] = text.split('\n');
    const reasons = [cut!, noId!].map((line) => decode(Buffer.from(line)).deadLetters.map((d) => d.reason));
    expect(reasons).toEqual([
      ['record 1: AKS kube-audit properties.log is not a whole JSON audit event (cut off?)'],
      [
        "record 1: AKS kube-audit properties.log is not a Kubernetes audit event: / must have required property 'auditID'",
      ],
    ]);
    // In one body the two are one dead letter (one reason code) counting both, the first reason named.
    const [letter] = decode(Buffer.from(text)).deadLetters;
    expect(letter).toMatchObject({ sourceFormat: 'aks', reasonCode: 'schema-mismatch', count: 2, positions: [2, 3] });
  });

  it('takes the cluster from the configuration when the record has no managed-cluster resource id', () => {
    const [record] = (fixtureRecords('cloud/aks-kube-audit.json')[0]!.records as Record<string, unknown>[]).slice(1);
    const out2 = decode(envelope([{ ...record, resourceId: undefined }]), 'aks-configured');
    expect(events(out2)[0]!.workload).toEqual({ cluster: 'aks-configured' });
  });

  it('names the cluster as configured for its AKS resource (cloud.clusterNames), by name or by id', () => {
    const body = readFixture('cloud/aks-kube-audit.json');
    const named = (aksClusterNames: Record<string, string>) =>
      events(ingest([{ body, input: 'test' }], { ...options(), decode: { ...options().decode, aksClusterNames } }));
    expect(named({ 'aks-agents': 'prod-agents' })[0]!.workload).toEqual({ cluster: 'prod-agents' });
    const id = `/subscriptions/0b7e1a52-6c1d-4f0a-9e3b-2d5c8a71f004/resourcegroups/rg-agents/providers/microsoft.containerservice/managedclusters/aks-agents`;
    expect(named({ [id]: 'by-id' })[0]!.workload).toEqual({ cluster: 'by-id' });
    expect(named({ 'other-cluster': 'x' })[0]!.workload).toEqual({ cluster: 'aks-agents' });
  });

  it('drops a deeply nested log as too deep without recursing into it', () => {
    const deep = '{"a":'.repeat(200) + '1' + '}'.repeat(200);
    const record = {
      category: 'kube-audit',
      resourceId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/c',
      properties: { log: deep },
    };
    expect(decode(envelope([record])).report.reasons.rejected).toEqual({ 'too-deep': 1 });
  });

  it('never throws on any text in properties.log, and gives each record one status', () => {
    const [record] = fixtureRecords('cloud/aks-kube-audit.json')[0]!.records as Record<string, unknown>[];
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json({ maxDepth: 4 })), (log) => {
        const mutated = { ...record, properties: { ...(record!.properties as object), log } };
        const o = decode(envelope([mutated]));
        expect(total(o.report)).toBe(1);
        expect(o.deadLetters).toHaveLength(o.report.counts.rejected);
      }),
      { numRuns: 300 },
    );
  });

  it('parses ARM ids case-insensitively into lower-case parts, and tenant ids', () => {
    expect(parseResourceId('/SUBSCRIPTIONS/S1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-A')).toEqual({
      subscriptionId: 's1',
      resourceGroup: 'rg',
      type: 'microsoft.keyvault/vaults',
      name: 'kv-a',
    });
    expect(parseResourceId('/tenants/T1/providers/Microsoft.aadiam')).toEqual({ tenantId: 't1' });
    expect(parseResourceId('not an id')).toEqual({});
  });

  it('is the detector for kube-audit records, and leaves a bare audit event (no envelope) to none', () => {
    const [record] = fixtureRecords('cloud/aks-kube-audit.json')[0]!.records as Record<string, unknown>[];
    expect(detectSource(record!)?.name).toBe('aks');
    expect(
      aksAudit.detect(JSON.parse(String((record!.properties as { log: string }).log)) as Record<string, unknown>),
    ).toBe(false);
  });
});

describe('Entra workload sign-ins', () => {
  const out = decode(readFixture('cloud/entra-signins.json'));
  const [mi, sp, failed] = cloud(out);

  it('reads a managed identity sign-in: no address, a federated token as its credential', () => {
    expect(events(out)[0]).toMatchObject({
      id: 'entra:4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c00',
      kind: 'cloud.sign-in',
      source: { product: 'entra', format: 'entra.ManagedIdentitySignInLogs' },
      workload: {},
      time: Date.parse('2026-03-14T10:03:05.123Z'),
    });
    expect(mi).toMatchObject({
      principal: 'id-research-agent',
      principalType: 'managed-identity',
      principalId: '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a',
      appId: '3f2e1d0c-9b8a-4765-8432-10fedcba9876',
      credentialType: 'federatedIdentityCredential',
      credentialId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      resource: 'Azure Key Vault',
      resourceAppId: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
      result: 'success',
      tenantId: '7c1e9f2a-3b4d-4e5f-8a6b-9c0d1e2f3a4b',
    });
    expect(mi!.sourceIp).toBeUndefined();
  });

  it('without clientCredentialType, a federatedCredentialId names the credential a federated one', () => {
    expect(sp).toMatchObject({
      principalType: 'service-principal',
      sourceIp: '203.0.113.50',
      credentialType: 'federatedIdentityCredential',
      credentialId: '0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f',
    });
  });

  it('reads a failed sign-in with its Entra error code, and a key id as the credential', () => {
    expect(failed).toMatchObject({
      result: 'failure',
      resultCode: '7000215',
      credentialType: 'clientSecret',
      credentialId: '3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a',
      resource: 'Microsoft Graph',
    });
  });

  it('names no credential type when the record has none of the documented-only fields', () => {
    const [plain] = cloud(decode(readFixture('cloud/entra-signins-per-line.jsonl')));
    expect(plain).toMatchObject({ principal: 'app-travel-agent', sourceIp: '10.224.0.9', result: 'success' });
    expect(plain!.credentialType).toBeUndefined();
    expect(plain!.credentialId).toBeUndefined();
  });

  it('broadcasts sign-ins (they name a tenant, not a cluster), and beats for the tenant scope', () => {
    expect(out.episodes.map((e) => e.key)).toEqual([BROADCAST, BROADCAST, BROADCAST]);
    expect(out.feedBeats.map((b) => b.key)).toEqual(['tenant:7c1e9f2a-3b4d-4e5f-8a6b-9c0d1e2f3a4b']);
  });
});

describe('Key Vault AuditEvent', () => {
  const out = decode(readFixture('cloud/keyvault-audit.json'));
  const list = events(out);

  it('reads short claim names, a managed identity by xms_mirid, and the secret from properties.id', () => {
    expect(list[0]).toMatchObject({
      kind: 'cloud.secret-access',
      source: { product: 'keyvault', format: 'keyvault.AuditEvent' },
    });
    expect(list[0]!.id).toMatch(/^keyvault:[0-9a-f]{32}$/);
    expect(list[0]!.cloud).toMatchObject({
      principalType: 'managed-identity',
      principalId: '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a',
      appId: '3f2e1d0c-9b8a-4765-8432-10fedcba9876',
      operation: 'SecretGet',
      resource: 'secrets',
      name: 'search-api-key',
      sourceIp: '203.0.113.50',
      resourceId:
        '/subscriptions/0b7e1a52-6c1d-4f0a-9e3b-2d5c8a71f004/resourcegroups/rg-agents/providers/microsoft.keyvault/vaults/kv-agents-prod',
      result: 'success',
      resultCode: '200',
      tenantId: '7c1e9f2a-3b4d-4e5f-8a6b-9c0d1e2f3a4b',
    });
  });

  it('reads a list from the request URI, a refusal as a failure, and a person by the long claim URIs', () => {
    expect(list[1]!.cloud).toMatchObject({ operation: 'SecretList', resource: 'secrets' });
    expect(list[1]!.cloud!.name).toBeUndefined();
    expect(list[2]!.cloud).toMatchObject({
      operation: 'KeyDecrypt',
      resource: 'keys',
      name: 'ledger-dek',
      result: 'failure',
      resultCode: '403',
      principalType: 'service-principal',
    });
    expect(list[3]).toMatchObject({ kind: 'cloud.api-request' });
    expect(list[3]!.cloud).toMatchObject({
      principal: 'platform-admin@contoso.example',
      principalType: 'user',
      principalId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b',
      operation: 'VaultGet',
      resource: 'vault',
    });
  });

  it('gives the same id to the same call delivered twice, and beats for the vault', () => {
    const again = events(decode(readFixture('cloud/keyvault-audit.json')));
    expect(again.map((e) => e.id)).toEqual(list.map((e) => e.id));
    expect(new Set(list.map((e) => e.id)).size).toBe(4);
    expect(out.feedBeats.map((b) => b.key)).toEqual(['keyvault:kv-agents-prod']);
    expect(out.episodes.every((e) => e.key === BROADCAST)).toBe(true);
  });

  it('redacts a secret the client put in its user agent', () => {
    const [record] = fixtureRecords('cloud/keyvault-audit.json')[0]!.records as Record<string, unknown>[];
    const leaky = {
      ...record,
      properties: {
        ...(record!.properties as object),
        clientInfo: 'cli/1.0 token=ghp_abcdefghijklmnopqrstuvwxyz0123456789AB',
      },
    };
    const [e] = events(decode(envelope([leaky])));
    expect(e!.cloud!.userAgent).toMatch(/\[REDACTED:/);
    expect(e!.cloud!.userAgent).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789AB');
  });
});

describe('cloud evidence rows', () => {
  it('carry the cloud columns under their ASIM names, with exactly the table schema', () => {
    const all = [
      ...events(decode(readFixture('cloud/aks-kube-audit.json'))),
      ...events(decode(readFixture('cloud/entra-signins.json'))),
      ...events(decode(readFixture('cloud/keyvault-audit.json'))),
    ];
    for (const e of all)
      checkRow('CausewayEvidence_CL', evidenceRow('s', { evidenceId: 'x', event: e, signals: [], links: [] }));
    const exec = evidenceRow('s', { evidenceId: 'x', event: all[1]!, signals: [], links: [] });
    expect(exec).toMatchObject({
      Layer: 'cloud',
      Kind: 'cloud.api-request',
      Cluster: 'aks-agents',
      ActorUsername: 'system:serviceaccount:agents:research-agent',
      Operation: 'create',
      ObjectType: 'pods/exec',
      Object: 'payments/ledger-5f4d8c9b7-m2n8p',
      SrcIpAddr: '203.0.113.50',
      EventResult: 'Success',
      EventResultDetails: '101',
    });
    const signIn = evidenceRow('s', { evidenceId: 'x', event: all[3]!, signals: [], links: [] });
    expect(signIn).toMatchObject({
      TargetAppName: 'Azure Key Vault',
      CredentialType: 'federatedIdentityCredential',
      ActingAppId: '3f2e1d0c-9b8a-4765-8432-10fedcba9876',
    });
  });
});
