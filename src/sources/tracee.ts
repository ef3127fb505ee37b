/**
 * Aqua Tracee events in the legacy `trace.Event` JSON (what Tracee's docs show): camelCase,
 * nanosecond timestamps, `args[]` of {name,type,value}; lineage by processEntityId/parentEntityId.
 */
import type { WorkloadIdentity } from '../model/event.ts';
import { PermanentError } from '../errors.ts';
import { describeErrors, validator } from '../schemas.ts';
import { normaliseContainerId, normaliseIp, normalisePath } from '../transforms/normalise.ts';
import { timeField } from './eventTime.ts';
import { arr, compact, num, obj, result, str, type DecodeResult, type Json, type Source } from './source.ts';

function argsOf(record: Json): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const a of arr(record.args)) {
    const o = obj(a);
    if (o && typeof o.name === 'string') m.set(o.name, o.value);
  }
  return m;
}

export const tracee: Source = {
  name: 'tracee',

  detect(record) {
    return (
      typeof record.eventName === 'string' && (record.processId !== undefined || record.hostProcessId !== undefined)
    );
  },

  decode(record, ctx): DecodeResult {
    const validate = validator('sources', 'tracee.schema.json');
    if (!validate(record))
      throw new PermanentError(
        `Tracee event does not match trace.Event JSON: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    const name = record.eventName as string;
    const time = timeField(record.timestamp, 'timestamp', 'Tracee event', ctx);
    if (time === undefined) throw new PermanentError('Tracee event has no "timestamp"', 'schema-mismatch');
    const args = argsOf(record);
    const node = str(record.hostName);
    const k8s = obj(record.kubernetes) ?? {};
    const container = obj(record.container) ?? {};
    const workload = compact<WorkloadIdentity>({
      cluster: ctx.cluster,
      node,
      namespace: str(k8s.podNamespace),
      pod: str(k8s.podName),
      podUid: str(k8s.podUID),
      container: str(container.name),
      containerId: normaliseContainerId(container.id) ?? normaliseContainerId(record.containerId),
      image: str(container.image),
    });
    const entity = num(record.processEntityId);
    const parentEntity = num(record.parentEntityId);
    const pid = num(record.hostProcessId) ?? num(record.processId);
    const key =
      entity !== undefined
        ? `tracee:${node ?? '-'}:${entity}`
        : `tracee:${node ?? '-'}:${pid}:${num(record.threadStartTime) ?? '-'}`;
    const argv = args.get('argv');
    const binary =
      normalisePath(args.get('pathname')) ?? normalisePath(obj(record.executable)?.path) ?? str(record.processName);
    const process = compact({
      key,
      parentKey: parentEntity !== undefined ? `tracee:${node ?? '-'}:${parentEntity}` : undefined,
      pid,
      ppid: num(record.hostParentProcessId) ?? num(record.parentProcessId),
      binary:
        name === 'execve' || name === 'sched_process_exec'
          ? binary
          : (normalisePath(obj(record.executable)?.path) ?? str(record.processName)),
      commandLine: Array.isArray(argv) ? argv.join(' ') : undefined,
      uid: num(record.userId),
      user: num(record.userId) !== undefined ? String(record.userId) : undefined,
    });
    const base = {
      time,
      workload,
      process,
      source: { product: 'tracee', format: 'tracee.json', nativeId: `${key}@${String(record.timestamp)}:${name}` },
    };
    const id = `tracee:${key}:${String(record.timestamp)}:${name}`;
    switch (name) {
      case 'execve':
      case 'sched_process_exec':
        return result([{ ...base, id, layer: 'process', kind: 'process.exec' }]);
      case 'sched_process_exit':
        return result([{ ...base, id, layer: 'process', kind: 'process.exit' }]);
      case 'security_file_open':
      case 'openat':
      case 'open': {
        const path = normalisePath(args.get('pathname')) ?? normalisePath(args.get('syscall_pathname'));
        if (!path) break;
        return result([{ ...base, id, layer: 'file', kind: 'file.open', file: { path, operation: 'open' } }]);
      }
      case 'security_socket_connect': {
        const addr = obj(args.get('remote_addr'));
        const network = compact({
          dstIp: normaliseIp(addr?.sin_addr ?? addr?.sin6_addr),
          dstPort: num(addr?.sin_port ?? addr?.sin6_port),
        });
        return result([{ ...base, id, layer: 'network', kind: 'network.connect', network }]);
      }
      case 'net_packet_dns': {
        const dns = obj(args.get('proto_dns'));
        const question = obj(arr(dns?.questions)[0]);
        const answers = arr(dns?.answers)
          .map((x) => normaliseIp(obj(x)?.IP))
          .filter((v): v is string => !!v);
        if (!str(question?.name)) break;
        return result([
          {
            ...base,
            id,
            layer: 'network',
            kind: 'dns.query',
            network: compact({
              domain: str(question?.name),
              addresses: answers.length ? answers : undefined,
              srcIp: normaliseIp(args.get('src')),
              dstIp: normaliseIp(args.get('dst')),
            }),
          },
        ]);
      }
    }
    return result(
      [],
      [
        {
          reason: 'filtered',
          detail: 'a Tracee event of a type outside the attack model (packet-level or unmodelled)',
        },
      ],
    );
  },
};
