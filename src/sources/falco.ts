/**
 * Falco JSON alerts and Falcosidekick payloads. `output_fields` differs per rule (only the fields
 * the rule's output names), so every field is optional. `proc.pid.ts` / `container.full_id` give
 * reuse-safe process keys when the operator adds them with append_output.
 * Falcosidekick's Event Hub output sends every alert twice with the same `uuid`: the event id is
 * the uuid, so the workload stage drops the copy as a duplicate.
 * Falcosidekick merges its `customfields` (and `templatedfields`) into `output_fields`, where
 * Falco's own fields always have a class prefix (`proc.name`): a key without a dot is a custom
 * field. A `cluster` custom field names the event's cluster; all of them, the event `source`
 * (`syscall`, `k8s_audit`, a plugin) and the tags are kept in the alert's details.
 */
import type { NetworkInfo, RuntimeEvent, Severity, WorkloadIdentity } from '../model/event.ts';
import { PermanentError } from '../errors.ts';
import { normaliseTactics, normaliseTechniques } from '../model/mitre.ts';
import { describeErrors, validator } from '../schemas.ts';
import {
  normaliseContainerId,
  normaliseIp,
  normalisePath,
  normaliseProtocol,
  processKey,
} from '../transforms/normalise.ts';
import { timeField } from './eventTime.ts';
import { arr, compact, num, obj, result, str, type DecodeResult, type Json, type Source } from './source.ts';

const SEVERITY: Record<string, Severity> = {
  emergency: 'High',
  alert: 'High',
  critical: 'High',
  error: 'High',
  warning: 'Medium',
  notice: 'Low',
  informational: 'Informational',
  info: 'Informational',
  debug: 'Informational',
};

/** `172.17.0.9:43812->10.96.0.1:443` (IPv6 in brackets) → endpoints. */
function parseTuple(fdName: string): NetworkInfo | undefined {
  const m = /^\[?([0-9a-fA-F:.]+)\]?:(\d+)->\[?([0-9a-fA-F:.]+)\]?:(\d+)$/.exec(fdName);
  if (!m) return undefined;
  return compact({ srcIp: normaliseIp(m[1]), srcPort: Number(m[2]), dstIp: normaliseIp(m[3]), dstPort: Number(m[4]) });
}

export const falco: Source = {
  name: 'falco',

  detect(record) {
    return (
      typeof record.rule === 'string' &&
      typeof record.priority === 'string' &&
      (record.output !== undefined || record.output_fields !== undefined)
    );
  },

  decode(record, ctx): DecodeResult {
    const validate = validator('sources', 'falco.schema.json');
    if (!validate(record))
      throw new PermanentError(
        `Falco alert does not match the JSON output format: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    const rule = record.rule as string;
    if (rule.startsWith('Falco internal') || record.source === 'internal') {
      return result(
        [],
        [{ reason: 'falco-internal', detail: 'a Falco internal event (metrics or drop notice), not an alert' }],
      );
    }
    const f: Json = obj(record.output_fields) ?? {};
    const time =
      timeField(record.time, 'time', 'Falco alert', ctx) ??
      timeField(f['evt.time'], 'output_fields.evt.time', 'Falco alert', ctx) ??
      timeField(f['evt.time.iso8601'], 'output_fields.evt.time.iso8601', 'Falco alert', ctx);
    if (time === undefined)
      throw new PermanentError(
        'Falco alert has no time (no "time", output_fields "evt.time" or "evt.time.iso8601")',
        'schema-mismatch',
      );
    const node = str(record.hostname) ?? str(f['evt.hostname']);
    const containerId = normaliseContainerId(f['container.full_id']) ?? normaliseContainerId(f['container.id']);
    const image =
      str(f['container.image']) ??
      (str(f['container.image.repository'])
        ? `${f['container.image.repository']}${str(f['container.image.tag']) ? ':' + String(f['container.image.tag']) : ''}`
        : undefined);
    const custom = customFields(f);
    const workload = compact<WorkloadIdentity>({
      cluster: str(f['k8s.cluster.name']) ?? custom.cluster ?? ctx.cluster,
      namespace: str(f['k8s.ns.name']),
      pod: str(f['k8s.pod.name']),
      podUid: str(f['k8s.pod.uid']),
      podIp: normaliseIp(f['k8s.pod.ip']),
      container: str(f['container.name']),
      containerId,
      node,
      image,
      workloadKind: str(f['k8s.deployment.name']) ? 'Deployment' : undefined,
      workloadName: str(f['k8s.deployment.name']),
    });
    const pid = num(f['proc.pid']);
    const ppid = num(f['proc.ppid']);
    const name = str(f['proc.name']);
    const startNs = num(f['proc.pid.ts']);
    const parentStartNs = num(f['proc.ppid.ts']);
    const fdName = str(f['fd.name']);
    const tuple = fdName ? parseTuple(fdName) : undefined;
    const network = tuple
      ? compact({
          ...tuple,
          protocol: normaliseProtocol(f['fd.l4proto']),
          domain: str(f['fd.sip.name']) ?? str(f['fd.rip.name']),
        })
      : normaliseIp(f['fd.rip'])
        ? compact({
            dstIp: normaliseIp(f['fd.rip']),
            dstPort: num(f['fd.rport']),
            protocol: normaliseProtocol(f['fd.l4proto']),
            domain: str(f['fd.rip.name']),
          })
        : undefined;
    const path = !tuple && fdName?.startsWith('/') ? normalisePath(fdName) : normalisePath(f['fs.path.name']);
    const tags = arr(record.tags).filter((t): t is string => typeof t === 'string');
    const uuid = str(record.uuid);
    const nativeId = uuid ?? `${record.time}:${rule}:${node ?? '-'}:${pid ?? '-'}`;
    const event: RuntimeEvent = compact<RuntimeEvent>({
      id: `falco:${nativeId}`,
      layer: 'alert',
      kind: 'alert',
      time,
      source: { product: 'falco', format: uuid ? 'falcosidekick' : 'falco.json', nativeId },
      workload,
      process:
        pid !== undefined
          ? compact({
              key: processKey(node, containerId, pid, startNs ?? name),
              parentKey:
                ppid !== undefined
                  ? processKey(node, containerId, ppid, parentStartNs ?? str(f['proc.pname']))
                  : undefined,
              pid,
              ppid,
              binary: str(f['proc.exepath']) ?? name,
              commandLine: str(f['proc.cmdline']),
              parentBinary: str(f['proc.pexepath']) ?? str(f['proc.pname']),
              user: str(f['user.name']),
              uid: num(f['user.uid']),
              startTime: startNs !== undefined ? Math.floor(startNs / 1e6) : undefined,
            })
          : undefined,
      file: path ? { path, operation: 'open' } : undefined,
      network,
      alert: compact({
        vendor: 'falco',
        type: rule,
        name: rule,
        severity: SEVERITY[(record.priority as string).toLowerCase()] ?? 'Medium',
        tactics: normaliseTactics(tags.filter((t) => t.startsWith('mitre_'))),
        techniques: normaliseTechniques(tags),
        nativeId,
        description: str(record.output),
        details: details(record, tags, custom),
      }),
    });
    return result([event]);
  },
};

/** Custom field names kept (Falcosidekick `customfields` keys: `cluster`, `environment`, …). */
const CUSTOM_FIELD = /^[A-Za-z][\w-]{0,63}$/;
/** At most this many custom fields are kept per alert. */
const MAX_CUSTOM_FIELDS = 16;

/** Falcosidekick custom fields: `output_fields` keys without a Falco field class. */
function customFields(f: Json): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(f)) {
    if (n >= MAX_CUSTOM_FIELDS) break;
    const value = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    if (value === undefined || value === '' || !CUSTOM_FIELD.test(k)) continue;
    out[k] = value;
    n++;
  }
  return out;
}

/** The Falco event source, the tags and the custom fields, as alert details (redacted downstream). */
function details(record: Json, tags: string[], custom: Record<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const source = str(record.source);
  if (source) out.source = source;
  if (tags.length) out.tags = tags.join(' ');
  for (const [k, v] of Object.entries(custom)) out[`customfields.${k}`] = v;
  return Object.keys(out).length ? out : undefined;
}
