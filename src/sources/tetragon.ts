/**
 * Cilium Tetragon JSON export (one GetEventsResponse per line; protojson with proto field
 * names, so snake_case keys and 64-bit numbers as strings). Lineage is by exec_id /
 * parent_exec_id, which are unique per exec and safe against pid reuse.
 */
import type { EventKind, FileInfo, ProcessInfo, RuntimeEvent, WorkloadIdentity } from '../model/event.ts';
import { PermanentError } from '../errors.ts';
import { describeErrors, validator } from '../schemas.ts';
import { inWindow } from '../common/timeWindow.ts';
import {
  normaliseContainerId,
  normaliseIp,
  normalisePath,
  normaliseProtocol,
  parseTime,
} from '../transforms/normalise.ts';
import { timeField, windowOf } from './eventTime.ts';
import { arr, compact, num, obj, result, str, type DecodeResult, type Json, type Source } from './source.ts';
import { normaliseWorkloadKind } from './workloadKind.ts';

const EVENT_TYPES = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_tracepoint',
  'process_lsm',
  'process_uprobe',
  'process_loader',
  'process_usdt',
  'process_throttle',
  'rate_limit_info',
  // Isovalent enterprise / "security observability" book format: not in the OSS proto, but real.
  'process_connect',
  'process_close',
  'process_listen',
] as const;

type TetragonType = (typeof EVENT_TYPES)[number];

/** File hooks → operation. security_file_permission's mask: MAY_EXEC 1, MAY_WRITE 2, MAY_READ 4, MAY_APPEND 8. */
function fileOperation(fn: string, args: unknown[]): FileInfo['operation'] {
  if (fn === 'security_file_permission' || fn === 'security_file_open') {
    const mask = num(obj(args[1])?.int_arg);
    if (mask === undefined) return fn === 'security_file_open' ? 'open' : 'read';
    if (mask & 2 || mask & 8) return 'write';
    if (mask & 4) return 'read';
    if (mask & 1) return 'exec';
    return 'open';
  }
  if (fn === 'security_mmap_file') return 'mmap';
  if (fn.includes('write')) return 'write';
  if (fn.includes('read')) return 'read';
  if (fn === 'security_bprm_check' || fn.includes('exec')) return 'exec';
  return 'open';
}

const FILE_KIND: Record<FileInfo['operation'], EventKind> = {
  open: 'file.open',
  read: 'file.read',
  write: 'file.write',
  mmap: 'file.mmap',
  exec: 'file.open',
  unknown: 'file.open',
};

let VALIDATE: ReturnType<typeof validator> | undefined;

/** The event type; the three that make up nearly all volume are checked first. */
function typeOf(record: Json): TetragonType | undefined {
  if (record.process_kprobe !== undefined) return 'process_kprobe';
  if (record.process_exec !== undefined) return 'process_exec';
  if (record.process_exit !== undefined) return 'process_exit';
  for (const t of EVENT_TYPES) if (record[t] !== undefined) return t;
  return undefined;
}

export const tetragon: Source = {
  name: 'tetragon',

  detect(record) {
    return typeOf(record) !== undefined;
  },

  decode(record, ctx): DecodeResult {
    const type = typeOf(record) as TetragonType;
    const validate = (VALIDATE ??= validator('sources', 'tetragon.schema.json'));
    if (!validate(record))
      throw new PermanentError(
        `Tetragon ${type} does not match the export schema: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    const body = obj(record[type]) ?? {};
    const node = str(record.node_name);
    const cluster = str(record.cluster_name) ?? ctx.cluster;
    if (type === 'process_throttle' || type === 'rate_limit_info') {
      // A notice of lost data is worth keeping even with a broken clock: it then gets its arrival time.
      const sent = parseTime(record.time);
      const at = inWindow(sent, windowOf(ctx)) ? sent : (ctx.time?.arrival ?? 0);
      const count = num(body.number_of_dropped_process_events);
      const throttle = str(body.type);
      const detail =
        type === 'rate_limit_info'
          ? `export rate limit dropped ${count ?? 'some'} events`
          : `cgroup rate limiting${throttle && /^[A-Z_]{1,32}$/.test(throttle) ? ` (${throttle})` : ''} of a cgroup`;
      return result([
        compact<RuntimeEvent>({
          id: `tetragon:${type}:${node ?? '-'}:${record.time ?? at}:${str(body.cgroup) ?? ''}`,
          layer: 'health',
          kind: 'health.upstream-loss',
          time: at,
          source: { product: 'tetragon', format: 'tetragon.json', nativeId: `${type}@${record.time ?? at}` },
          workload: compact({ cluster, node }),
          health: compact({
            reason: type === 'rate_limit_info' ? 'tetragon-export-rate-limit' : 'tetragon-cgroup-throttle',
            count,
            detail,
          }),
        }),
      ]);
    }
    if (type === 'process_uprobe' || type === 'process_loader' || type === 'process_usdt') {
      return result([], [{ reason: 'filtered', detail: `Tetragon ${type} events are not part of the attack model` }]);
    }
    const time = timeField(record.time, 'time', `Tetragon ${type}`, ctx);
    const proc = obj(body.process) ?? {};
    const parent = obj(body.parent);
    const workload = workloadOf(proc, node, cluster);
    const process = processOf(proc, parent, type === 'process_exec');
    const execId = process.key;
    const eventTime =
      time ??
      (type === 'process_exec'
        ? timeField(proc.start_time, `${type}.process.start_time`, `Tetragon ${type}`, ctx)
        : undefined);
    if (eventTime === undefined)
      throw new PermanentError(`Tetragon ${type} has no time (top-level "time" is missing)`, 'schema-mismatch');
    const source = {
      product: 'tetragon',
      format: 'tetragon.json',
      nativeId: `${execId}@${record.time ?? proc.start_time}`,
    };
    const event = (id: string, layer: RuntimeEvent['layer'], kind: EventKind): RuntimeEvent => ({
      id,
      layer,
      kind,
      time: eventTime,
      source,
      workload,
      process,
    });

    switch (type) {
      case 'process_exec':
        return result([event(`tetragon:exec:${execId}`, 'process', 'process.exec')]);
      case 'process_exit':
        return result([event(`tetragon:exit:${execId}`, 'process', 'process.exit')]);
      case 'process_connect':
      case 'process_close':
      case 'process_listen': {
        const network = compact({
          srcIp: normaliseIp(body.source_ip),
          srcPort: num(body.source_port),
          dstIp: normaliseIp(body.destination_ip),
          dstPort: num(body.destination_port),
          protocol: normaliseProtocol(body.protocol),
        });
        const kind: EventKind =
          type === 'process_connect'
            ? 'network.connect'
            : type === 'process_close'
              ? 'network.close'
              : 'network.listen';
        const e = event(
          `tetragon:${kind}:${execId}:${record.time}:${network.dstIp}:${network.dstPort}:${network.srcPort}`,
          'network',
          kind,
        );
        e.network = network;
        return result([e]);
      }
      default: {
        // process_kprobe / process_tracepoint / process_lsm: file or socket hooks.
        const fn = str(body.function_name) ?? str(body.event) ?? str(body.subsys) ?? type;
        const args = arr(body.args);
        for (const a of args) {
          const arg = obj(a);
          const sock = obj(arg?.sock_arg);
          if (sock) {
            const network = compact({
              srcIp: normaliseIp(sock.saddr),
              srcPort: num(sock.sport),
              dstIp: normaliseIp(sock.daddr),
              dstPort: num(sock.dport),
              protocol: normaliseProtocol(sock.protocol),
            });
            const kind: EventKind = /close/.test(fn)
              ? 'network.close'
              : /listen/.test(fn)
                ? 'network.listen'
                : 'network.connect';
            const e = event(
              `tetragon:${fn}:${execId}:${record.time}:${network.dstIp}:${network.dstPort}:${network.srcPort}`,
              'network',
              kind,
            );
            e.network = network;
            return result([e]);
          }
          const fileArg = obj(arg?.file_arg) ?? obj(arg?.path_arg);
          const path = normalisePath(fileArg?.path);
          if (path) {
            const operation = fileOperation(fn, args);
            const e = event(`tetragon:${fn}:${execId}:${record.time}:${path}`, 'file', FILE_KIND[operation]);
            e.file = { path, operation };
            return result([e]);
          }
        }
        return result([], [{ reason: 'filtered', detail: `a Tetragon ${type} event with no file or socket argument` }]);
      }
    }
  },
};

function workloadOf(proc: Json, node: string | undefined, cluster: string): WorkloadIdentity {
  const pod = obj(proc.pod);
  const container = obj(pod?.container);
  // Built field by field (no undefined keys): this runs for every kernel event.
  const w: WorkloadIdentity = { cluster };
  if (node) w.node = node;
  if (pod) {
    if (typeof pod.namespace === 'string') w.namespace = pod.namespace;
    if (typeof pod.name === 'string') w.pod = pod.name;
    if (typeof pod.uid === 'string') w.podUid = pod.uid;
    if (typeof pod.workload === 'string' && pod.workload) w.workloadName = pod.workload;
    const kind = normaliseWorkloadKind(str(pod.workload_kind));
    if (kind) w.workloadKind = kind;
  }
  if (container) {
    if (typeof container.name === 'string') w.container = container.name;
    const image = str(obj(container.image)?.name);
    if (image) w.image = image;
  }
  const cid = normaliseContainerId(container?.id) ?? normaliseContainerId(proc.docker);
  if (cid) w.containerId = cid;
  return w;
}

/** Start times are only needed on exec events (lineage keys, parking): skip their parsing elsewhere. */
function processOf(proc: Json, parent: Json | undefined, withTimes: boolean): ProcessInfo {
  const binary = str(proc.binary);
  const args = str(proc.arguments);
  const parentExecId = str(proc.parent_exec_id);
  const p: ProcessInfo = { key: proc.exec_id as string };
  // The parent object is authoritative: a few captured events carry a corrupted parent_exec_id
  // (e.g. the merlin-agent sample's "…Nwf==") while parent.exec_id is intact.
  const parentId = str(parent?.exec_id);
  const parentKey =
    parentId && parentExecId !== parentId && !isBase64(parentExecId) ? parentId : (parentExecId ?? parentId);
  if (parentKey) p.parentKey = parentKey;
  if (typeof proc.pid === 'number') p.pid = proc.pid;
  if (typeof parent?.pid === 'number') p.ppid = parent.pid;
  if (binary) p.binary = binary;
  const commandLine = args ? (binary ? binary + ' ' + args : args) : binary;
  if (commandLine) p.commandLine = commandLine;
  const parentBinary = str(parent?.binary);
  if (parentBinary) p.parentBinary = parentBinary;
  // Every event's process start: an effect that arrives before its exec waits for it only while
  // the process is young (lineage.execExpected). The parent's only on an exec (parentExpected).
  const start = parseTime(proc.start_time);
  if (start !== undefined) p.startTime = start;
  if (withTimes) {
    const parentStart = parseTime(parent?.start_time);
    if (parentStart !== undefined) p.parentStartTime = parentStart;
  }
  if (typeof proc.uid === 'number') {
    p.uid = proc.uid;
    p.user = String(proc.uid);
  }
  if (typeof proc.cwd === 'string') p.cwd = proc.cwd;
  return p;
}

function isBase64(v: string | undefined): boolean {
  if (!v) return false;
  try {
    return Buffer.from(v, 'base64').toString('base64') === v;
  } catch {
    return false;
  }
}
