/** Tetragon JSON export lines: process_exec, process_exit, file kprobes, tcp_connect. */
import { iso, hex, type Proc } from './cast.ts';

function tetragonProcess(p: Proc) {
  return {
    exec_id: p.execId,
    pid: p.pid,
    uid: p.uid ?? 0,
    cwd: p.cwd ?? '/',
    binary: p.binary,
    arguments: p.args,
    flags: 'execve clone',
    start_time: iso(p.start),
    auid: 4294967295,
    pod: {
      namespace: p.pod.namespace,
      name: p.pod.name,
      container: {
        id: `containerd://${p.pod.containerId}`,
        name: p.pod.container,
        image: { id: `${p.pod.image}@sha256:${hex(p.pod.image, 64)}`, name: p.pod.image },
        start_time: iso(p.start - 3_600_000).slice(0, 19) + 'Z',
        pid: 1,
      },
      pod_labels: { app: p.pod.workload },
      workload: p.pod.workload,
      workload_kind: p.pod.kind,
    },
    docker: p.pod.containerId.slice(0, 31),
    parent_exec_id: p.parent?.execId ?? Buffer.from(`${p.pod.node}:1:1`).toString('base64'),
    tid: p.pid,
  };
}

function parentOf(p: Proc) {
  if (p.parent) return tetragonProcess(p.parent);
  return {
    exec_id: Buffer.from(`${p.pod.node}:1:1`).toString('base64'),
    pid: 4021,
    uid: 0,
    cwd: '/run/containerd',
    binary: '/usr/bin/containerd-shim-runc-v2',
    arguments: `-namespace k8s.io -id ${p.pod.containerId}`,
    flags: 'execve clone',
    start_time: iso(p.start - 3_600_000),
    auid: 4294967295,
  };
}

export function tetragonExec(p: Proc): string {
  return JSON.stringify({
    process_exec: { process: tetragonProcess(p), parent: parentOf(p) },
    node_name: p.pod.node,
    cluster_name: p.pod.cluster,
    time: iso(p.start, 123),
  });
}

export function tetragonExit(p: Proc, at: number): string {
  return JSON.stringify({
    process_exit: { process: tetragonProcess(p), parent: parentOf(p), status: 0, time: iso(at) },
    node_name: p.pod.node,
    cluster_name: p.pod.cluster,
    time: iso(at, 7),
  });
}

export function tetragonFile(p: Proc, at: number, path: string, mask = 4): string {
  return JSON.stringify({
    process_kprobe: {
      process: tetragonProcess(p),
      parent: parentOf(p),
      function_name: 'security_file_permission',
      args: [{ file_arg: { path, permission: '-rw-r--r--' } }, { int_arg: mask }],
      return: { int_arg: 0 },
      action: 'KPROBE_ACTION_POST',
      policy_name: 'file-monitoring',
      return_action: 'KPROBE_ACTION_POST',
    },
    node_name: p.pod.node,
    cluster_name: p.pod.cluster,
    time: iso(at, 311),
  });
}

export function tetragonConnect(
  p: Proc,
  at: number,
  daddr: string,
  dport: number,
  sport = 40000 + (p.pid % 20000),
): string {
  return JSON.stringify({
    process_kprobe: {
      process: tetragonProcess(p),
      parent: parentOf(p),
      function_name: 'tcp_connect',
      args: [
        {
          sock_arg: {
            family: 'AF_INET',
            type: 'SOCK_STREAM',
            protocol: 'IPPROTO_TCP',
            saddr: p.pod.ip,
            daddr,
            sport,
            dport,
            cookie: String(18446620000000000000n + BigInt(p.pid)),
            state: 'TCP_SYN_SENT',
          },
        },
      ],
      action: 'KPROBE_ACTION_POST',
      policy_name: 'connect',
    },
    node_name: p.pod.node,
    cluster_name: p.pod.cluster,
    time: iso(at, 911),
  });
}
