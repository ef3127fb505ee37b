/**
 * Conformance over the real public cloud audit records in ../shared/reference/cloud-samples (beside
 * the repository on our machines and in CI, not in a fresh clone; its README names each record's
 * source): every file decodes as expected, and the fields read from real records are the ones the
 * reference documents. Without the folder the suite is skipped and says so in one line;
 * `CAUSEWAY_SHARED_CLOUD_SAMPLES` points it elsewhere, and `CAUSEWAY_REQUIRE_SHARED_SAMPLES=1` turns a
 * missing folder into a failure. `npm test` needs none of this: test/fixtures/cloud covers every format.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest, type IngestOutput } from '../../../src/ingest/ingest.ts';
import type { RuntimeEvent } from '../../../src/model/event.ts';
import { aksAudit } from '../../../src/sources/cloud/aksAudit.ts';
import { signals } from '../../helpers/pipeline.ts';

const SAMPLES =
  resolve(
    process.env.CAUSEWAY_SHARED_CLOUD_SAMPLES ||
      new URL('../../../../shared/reference/cloud-samples/', import.meta.url).pathname,
  ) + '/';
const PRESENT = existsSync(SAMPLES);

if (!PRESENT) {
  if (process.env.CAUSEWAY_REQUIRE_SHARED_SAMPLES === '1')
    throw new Error(
      `${SAMPLES} does not exist, and CAUSEWAY_REQUIRE_SHARED_SAMPLES=1 requires the conformance suite. Fix: check out the shared folder beside the repository or set CAUSEWAY_SHARED_CLOUD_SAMPLES`,
    );
  console.log('skipped: ../shared/reference/cloud-samples not present');
}

const ctx = { cluster: 'aks-test', redaction: { excerpts: false, excerptLength: 64 } };
const read = (file: string) => readFileSync(SAMPLES + file);

function decode(body: Buffer | string): IngestOutput {
  return ingest([{ body, input: 'sample' }], {
    decode: ctx,
    limits: { maxRecordBytes: 1024 * 1024, maxDepth: 64 },
    signals: signals(),
    now: () => 0,
  });
}

const events = (out: IngestOutput): RuntimeEvent[] => out.episodes.flatMap((k) => k.episode.evidence);

/** The AKS decoder's own events for a file of records (stage ① filters kube-system traffic before the story stage). */
function aksEvents(file: string): RuntimeEvent[] {
  const doc = JSON.parse(read(file).toString('utf8')) as Record<string, unknown>;
  const records = (Array.isArray(doc.records) ? doc.records : [doc]) as Record<string, unknown>[];
  return records.flatMap((r) => aksAudit.decode(r, ctx).events);
}

/** Expected outcome per file: status counts by reason. */
const EXPECTED: Record<
  string,
  { delivered?: number; rejected?: Record<string, number>; dropped?: Record<string, number> }
> = {
  // Controllers and aksService: decoded, then filtered by stage ① (no workload credential).
  'aks-kube-audit/sysdig-sample_EventHubs_event.json': { dropped: { filtered: 1 } },
  'aks-kube-audit/sysdig-samples-event-records-0-and-2.json': { dropped: { filtered: 2 } },
  // A bare audit event, not an Event Hubs record (the reference keeps it for the `extra` shape).
  'aks-kube-audit/openshift-audit-event-sa-bound-token.json': { rejected: { 'unknown-format': 1 } },
  'entra-signin/elastic-managed-identity-sample.lines-1-and-3.ndjson': { delivered: 2 },
  'entra-signin/elastic-service-principal-signinlogs-sample.lines-1-and-3.ndjson': { delivered: 2 },
  'keyvault-auditevent/azure-docs-keyvault-logging-example.json': { delivered: 1 },
};

describe.skipIf(!PRESENT)('every cloud sample file', () => {
  const files = (PRESENT ? readdirSync(SAMPLES, { withFileTypes: true }) : [])
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(SAMPLES + d.name).map((f) => `${d.name}/${f}`));

  it('has an expectation here (a new sample needs one)', () => {
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, want] of Object.entries(EXPECTED))
    it(`${file} → ${JSON.stringify(want)}`, () => {
      const out = decode(read(file));
      expect(out.report.counts.delivered).toBe(want.delivered ?? 0);
      expect(out.report.reasons.rejected).toEqual(want.rejected ?? {});
      expect(out.report.reasons.dropped).toEqual(want.dropped ?? {});
      expect(out.deadLetters).toHaveLength(out.report.counts.rejected);
    });
});

describe.skipIf(!PRESENT)('decoded fields of real records', () => {
  it('AKS: the cluster from an upper-cased resource id, a controller service account, the inner stage time', () => {
    const [e] = aksEvents('aks-kube-audit/sysdig-sample_EventHubs_event.json');
    expect(e).toMatchObject({
      id: 'aks:4e2a4193-cb3d-4ff7-bf37-32c392fbc23b',
      time: Date.parse('2020-05-08T22:44:17.862Z'),
      workload: { cluster: 'kubeauditlogtestcluster' },
      cloud: {
        principal: 'system:serviceaccount:kube-system:generic-garbage-collector',
        principalType: 'service-account',
        serviceAccountNamespace: 'kube-system',
        operation: 'get',
        resource: '/apis/autoscaling/v2beta1',
        sourceIp: '172.31.9.19',
        result: 'success',
      },
    });
  });

  it('AKS: a 409 AlreadyExists create by aksService is a failed request on a named object', () => {
    const [, create] = aksEvents('aks-kube-audit/sysdig-samples-event-records-0-and-2.json');
    expect(create!.cloud).toMatchObject({
      principal: 'aksService',
      principalType: 'user',
      operation: 'create',
      resource: 'configmaps',
      namespace: 'kube-system',
      name: 'coredns-custom',
      result: 'failure',
      resultCode: '409',
    });
  });

  it('AKS: the bound-token extras of a real audit event, in an AKS record, name the pod; ResponseStarted is kept', () => {
    const log = read('aks-kube-audit/openshift-audit-event-sa-bound-token.json').toString('utf8');
    const record = {
      category: 'kube-audit',
      resourceId: '/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/aks-test',
      properties: { log, stream: 'stdout' },
      time: '2023-03-27T09:44:50Z',
    };
    const out = decode(JSON.stringify({ records: [record] }));
    expect(events(out)[0]!.cloud).toMatchObject({
      serviceAccountNamespace: 'openshift-cluster-samples-operator',
      serviceAccountName: 'cluster-samples-operator',
      boundPod: 'cluster-samples-operator-7f8d575897-s7566',
      boundPodUid: '8a96caaf-1de9-4cef-915f-ace02c764e52',
      operation: 'watch',
      resource: 'templates',
      namespace: 'openshift',
      sourceIp: '10.130.0.2',
      sourceIps: ['192.168.200.181', '10.130.0.2'],
    });
    expect(out.episodes[0]!.key).toBe('aks-test');
  });

  it('Entra: a managed identity sign-in has no address; a service principal one has its address and key id', () => {
    const [mi] = events(decode(read('entra-signin/elastic-managed-identity-sample.lines-1-and-3.ndjson')));
    expect(mi!.cloud).toMatchObject({
      principal: 'testplatformlogslube',
      principalType: 'managed-identity',
      principalId: '9d370547-cb61-4753-be23-68534909af90',
      appId: 'b3b975ac-995b-426e-8b5d-363a165df41c',
      resource: 'Windows Azure Service Management API',
      result: 'success',
    });
    expect(mi!.cloud!.sourceIp).toBeUndefined();
    const [sp] = events(decode(read('entra-signin/elastic-service-principal-signinlogs-sample.lines-1-and-3.ndjson')));
    expect(sp!.cloud).toMatchObject({
      principal: 'Terraform-Datadog-CLI',
      sourceIp: '1.128.3.4',
      credentialId: 'dbcd79c0-c3ea-46b9-9604-ff40d43b8618',
      tenantId: '4bbb79f7-5724-4c9e-95f3-de075f6ec090',
    });
    // 2022 records have no clientCredentialType: none is invented.
    expect(sp!.cloud!.credentialType).toBeUndefined();
  });

  it('Key Vault: the documented example with long claim URIs and a string durationMs', () => {
    const [e] = events(decode(read('keyvault-auditevent/azure-docs-keyvault-logging-example.json')));
    expect(e).toMatchObject({
      kind: 'cloud.api-request',
      time: Date.parse('2016-01-05T01:32:01.269Z'),
      cloud: {
        operation: 'VaultGet',
        principal: 'live.com#username@outlook.com',
        principalType: 'user',
        sourceIp: '104.40.82.76',
        resource: 'vault',
        result: 'success',
        resultCode: '200',
      },
    });
  });
});
