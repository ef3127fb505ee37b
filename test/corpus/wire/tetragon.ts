/**
 * Tetragon JSON export lines (protojson with proto field names: snake_case, RFC 3339 times with
 * nanoseconds), as reference/sensor-formats.md §2 and samples/tetragon show them: every event
 * carries the full `process` and `parent` objects; exec probes carry `maybe_exec_probe`.
 * Same shapes as src/demo/builders.ts, with per-pod runtime parents and seeded times.
 */
import { tetragonKey } from '../labels.ts';
import type { Rng } from '../rng.ts';
import type { Proc } from '../world.ts';

/** One line and the label key of the event it decodes into. */
export interface WireLine {
  line: string;
  key: string;
  time: number;
}

/** RFC 3339 with nanoseconds, as protojson writes timestamps. */
export function isoNanos(ms: number, nanos: number): string {
  return new Date(ms).toISOString().replace('Z', '') + String(nanos % 1_000_000).padStart(6, '0') + 'Z';
}

/** Flags of an exec event. */
export interface TetragonOptions {
  /** Exec from a kubelet exec probe (Tetragon sets pod.container.maybe_exec_probe). */
  probe?: boolean;
}

function processObject(p: Proc, options: TetragonOptions = {}) {
  const pod = p.pod;
  const inContainer = p.binary !== pod.shim.binary;
  return {
    exec_id: p.execId,
    pid: p.pid,
    uid: p.uid,
    cwd: p.cwd,
    binary: p.binary,
    arguments: p.args || undefined,
    flags: p.parent === pod.shim ? 'execve rootcwd clone' : 'execve clone',
    start_time: isoNanos(p.start, (p.pid * 7919) % 1_000_000),
    auid: 4294967295,
    ...(inContainer
      ? {
          pod: {
            namespace: pod.namespace,
            name: pod.name,
            container: {
              id: `containerd://${pod.containerId}`,
              name: pod.container,
              image: { id: `${pod.image.split(':')[0]}@${pod.imageDigest}`, name: pod.image },
              start_time: new Date(pod.started).toISOString().replace(/\.\d{3}Z$/, 'Z'),
              pid: p.parent === pod.shim ? 1 : undefined,
              ...(options.probe ? { maybe_exec_probe: true } : {}),
            },
            pod_labels: { app: pod.workload, 'app.kubernetes.io/name': pod.workload },
            workload: pod.workload,
            workload_kind: pod.kind,
          },
          docker: pod.containerId.slice(0, 31),
        }
      : {}),
    parent_exec_id: p.parent?.execId,
    tid: p.pid,
  };
}

function envelope(type: string, body: object, p: Proc, time: string): string {
  return JSON.stringify({
    [type]: body,
    node_name: p.pod.node.name,
    ...(p.pod.cluster.tetragonClusterName ? { cluster_name: p.pod.cluster.name } : {}),
    time,
  });
}

function line(type: string, body: object, p: Proc, at: number, r: Rng): WireLine {
  const time = isoNanos(at, r.int(0, 999_999));
  return { line: envelope(type, body, p, time), key: tetragonKey(p.execId, time), time: at };
}

/** process_exec at the process's start. */
export function tetragonExec(p: Proc, r: Rng, options: TetragonOptions = {}): WireLine {
  return line(
    'process_exec',
    { process: processObject(p, options), parent: p.parent ? processObject(p.parent) : undefined },
    p,
    p.start,
    r,
  );
}

/** process_exit; `status` is omitted when 0 (protojson drops zero scalars). */
export function tetragonExit(p: Proc, at: number, r: Rng, status = 0): WireLine {
  const time = isoNanos(at, r.int(0, 999_999));
  return {
    line: envelope(
      'process_exit',
      {
        process: processObject(p),
        parent: p.parent ? processObject(p.parent) : undefined,
        ...(status ? { status } : {}),
        time,
      },
      p,
      time,
    ),
    key: tetragonKey(p.execId, time),
    time: at,
  };
}

/** security_file_permission kprobe (file-monitoring policy): mask 4 read, 2 write. */
export function tetragonFile(
  p: Proc,
  at: number,
  path: string,
  r: Rng,
  operation: 'read' | 'write' = 'read',
): WireLine {
  return line(
    'process_kprobe',
    {
      process: processObject(p),
      parent: p.parent ? processObject(p.parent) : undefined,
      function_name: 'security_file_permission',
      args: [
        { file_arg: { path, permission: operation === 'read' ? '-rw-r--r--' : '-rwxr-xr-x' } },
        { int_arg: operation === 'read' ? 4 : 2 },
      ],
      return: { int_arg: 0 },
      action: 'KPROBE_ACTION_POST',
      policy_name: 'file-monitoring',
      return_action: 'KPROBE_ACTION_POST',
    },
    p,
    at,
    r,
  );
}

/** tcp_connect kprobe (the OSS tcp-connect policy): sock_arg with both endpoints. */
export function tetragonConnect(p: Proc, at: number, daddr: string, dport: number, r: Rng): WireLine {
  return line(
    'process_kprobe',
    {
      process: processObject(p),
      parent: p.parent ? processObject(p.parent) : undefined,
      function_name: 'tcp_connect',
      args: [
        {
          sock_arg: {
            family: 'AF_INET',
            type: 'SOCK_STREAM',
            protocol: 'IPPROTO_TCP',
            saddr: daddr === '127.0.0.1' ? '127.0.0.1' : p.pod.ip,
            daddr,
            sport: r.int(32768, 60999),
            dport,
            cookie: String(18446600000000000000n + BigInt(r.int(0, 2 ** 31))),
            state: 'TCP_SYN_SENT',
          },
        },
      ],
      action: 'KPROBE_ACTION_POST',
      policy_name: 'connect',
    },
    p,
    at,
    r,
  );
}
