/**
 * Falcosidekick payloads keep what the SOC needs: the event source, tags, custom fields (a `cluster`
 * custom field names the cluster), nanosecond times; and Falco's 12-character container id becomes
 * the full id its workload already knows, so the alert names the same container as the rest of its
 * story.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../src/model/event.ts';
import { falco } from '../../../src/sources/falco.ts';
import { ContainerIds, resolveContainerId } from '../../../src/workload/containerIds.ts';
import { feed, finish, newRun } from '../../helpers/pipeline.ts';

const FULL_ID = '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';
const ctx = { cluster: 'configured', redaction: { excerpts: false, excerptLength: 0 } };

/** A Falcosidekick webhook body: Falco's JSON alert, uuid and hostname added, custom fields merged into output_fields. */
function sidekick(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: '5d3a8c1e-6f2b-4c7d-9e0a-1b2c3d4e5f60',
    output: '10:00:00.123456789: Warning Sensitive file opened for reading by non-trusted program',
    priority: 'Warning',
    rule: 'Read sensitive file untrusted',
    time: '2026-11-26T10:00:00.123456789Z',
    source: 'syscall',
    hostname: 'aks-nodepool1-12345678-vmss000002',
    tags: ['filesystem', 'mitre_credential_access', 'T1555'],
    output_fields: {
      // Falco writes evt.time as an integer of nanoseconds, beyond a double's precision.
      'evt.time': JSON.parse('1795687200123456789') as number,
      'proc.name': 'cat',
      'proc.pid': 4242,
      'proc.cmdline': 'cat /var/run/secrets/kubernetes.io/serviceaccount/token',
      'fd.name': '/var/run/secrets/kubernetes.io/serviceaccount/token',
      'container.id': FULL_ID.slice(0, 12),
      'k8s.ns.name': 'tools',
      'k8s.pod.name': 'files-mcp-5d8c7b9f6d-qz4rt',
      cluster: 'aks-prod-weu',
      environment: 'production',
      ...extra,
    },
  };
}

function decodeOne(record: Record<string, unknown>): RuntimeEvent {
  const { events } = falco.decode(record, ctx);
  expect(events).toHaveLength(1);
  return events[0]!;
}

describe('Falcosidekick fields', () => {
  it('keeps the event source, tags and custom fields, and takes the cluster from a cluster custom field', () => {
    const e = decodeOne(sidekick());
    expect(e.workload.cluster).toBe('aks-prod-weu');
    expect(e.alert?.details).toEqual({
      source: 'syscall',
      tags: 'filesystem mitre_credential_access T1555',
      'customfields.cluster': 'aks-prod-weu',
      'customfields.environment': 'production',
    });
    expect(e.alert?.tactics.length).toBeGreaterThan(0);
    expect(e.source).toEqual({
      product: 'falco',
      format: 'falcosidekick',
      nativeId: '5d3a8c1e-6f2b-4c7d-9e0a-1b2c3d4e5f60',
    });
  });

  it('prefers Falco’s own k8s.cluster.name, then the configured cluster when neither is given', () => {
    expect(decodeOne(sidekick({ 'k8s.cluster.name': 'from-falco' })).workload.cluster).toBe('from-falco');
    const plain = sidekick();
    delete (plain.output_fields as Record<string, unknown>).cluster;
    expect(decodeOne(plain).workload.cluster).toBe('configured');
  });

  it('reads nanosecond times to the millisecond, whichever field carries them', () => {
    expect(decodeOne(sidekick()).time).toBe(Date.parse('2026-11-26T10:00:00.123Z'));
    const offset = decodeOne({ ...sidekick(), time: '2026-11-26T11:00:00.987654321+01:00' });
    expect(offset.time).toBe(Date.parse('2026-11-26T10:00:00.987Z'));
  });

  it('keeps no custom field whose name could be a Falco field or is not a plain name', () => {
    const e = decodeOne(sidekick({ 'weird key': 'x', '<b>': 'y', nested: { a: 1 } }));
    expect(Object.keys(e.alert?.details ?? {})).not.toContain('customfields.weird key');
    expect(Object.keys(e.alert?.details ?? {})).not.toContain('customfields.<b>');
    expect(Object.keys(e.alert?.details ?? {})).not.toContain('customfields.nested');
  });
});

describe('container ids', () => {
  it('resolve a short id to the one full id known with that prefix, and leave shared prefixes alone', () => {
    const ids = new ContainerIds();
    ids.learn(FULL_ID);
    expect(ids.resolve(FULL_ID.slice(0, 12))).toBe(FULL_ID);
    expect(ids.resolve(FULL_ID.slice(0, 31))).toBe(FULL_ID);
    expect(ids.resolve('2c26b46b68ff0000000')).toBeUndefined();
    ids.learn(FULL_ID.slice(0, 12) + 'f'.repeat(52));
    expect(ids.resolve(FULL_ID.slice(0, 12))).toBeUndefined();
  });

  it('give an event a new identity object, leaving the one other events share untouched', () => {
    const workload = {};
    const shared = { pod: 'p', containerId: FULL_ID };
    resolveContainerId(workload, { workload: shared } as RuntimeEvent);
    const short = { pod: 'p', containerId: FULL_ID.slice(0, 12) };
    const event = { workload: short } as RuntimeEvent;
    resolveContainerId(workload, event);
    expect(event.workload.containerId).toBe(FULL_ID);
    expect(short.containerId).toBe(FULL_ID.slice(0, 12));
  });

  it('make a Falco alert name the full container id the workload knows from its spans', async () => {
    const span = {
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'files-mcp' } },
              { key: 'k8s.namespace.name', value: { stringValue: 'tools' } },
              { key: 'k8s.pod.name', value: { stringValue: 'files-mcp-5d8c7b9f6d-qz4rt' } },
              { key: 'k8s.deployment.name', value: { stringValue: 'files-mcp' } },
              { key: 'container.id', value: { stringValue: FULL_ID } },
            ],
          },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                  spanId: '00f067aa0ba902b8',
                  name: 'tools/call read_file',
                  kind: 2,
                  startTimeUnixNano: '1795687199900000000',
                  endTimeUnixNano: '1795687200500000000',
                  attributes: [
                    { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
                    { key: 'gen_ai.tool.name', value: { stringValue: 'read_file' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    // No pid: the alert resolves to its container (DESIGN §4.1), here during the tool call.
    const alert = sidekick();
    for (const k of ['cluster', 'proc.pid']) delete (alert.output_fields as Record<string, unknown>)[k];
    const run = await finish(
      await feed(newRun(), [
        { body: JSON.stringify(span), input: 'agent-telemetry' },
        { body: JSON.stringify(alert), input: 'runtime-sensors' },
      ]),
    );
    const rows = run.sink.rows('CausewayEvidence_CL');
    const falcoRow = rows.find((r) => r.Source === 'falco');
    expect(falcoRow).toBeDefined();
    expect(falcoRow!.ContainerId).toBe(FULL_ID);
    const story = rows.filter((r) => r.StoryId === falcoRow!.StoryId);
    expect(story.some((r) => r.Source === 'otel' && r.ContainerId === FULL_ID)).toBe(true);
  });
});
