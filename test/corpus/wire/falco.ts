/**
 * Falco JSON alerts as `http_output` posts them, and Falcosidekick payloads (the same plus a
 * `uuid`, sorted tags; its Event Hub output sends each one twice). `output_fields` hold only the
 * fields the rule's output names plus what the operator appends (`append_output.extra_fields`:
 * `proc.pid`, and where configured `proc.pid.ts` and `container.full_id`), per
 * reference/sensor-formats.md §3.
 */
import { falcoKey } from '../labels.ts';
import type { Rng } from '../rng.ts';
import type { Proc } from '../world.ts';
import { comm } from './kubescape.ts';
import { isoNanos } from './tetragon.ts';

/** What the operator appended to every rule's output (decided once per scenario). */
export interface FalcoAppend {
  pidTs: boolean;
  fullId: boolean;
  ppid: boolean;
}

/** One rule match. */
export interface FalcoAlertSpec {
  rule: string;
  priority: 'Emergency' | 'Alert' | 'Critical' | 'Error' | 'Warning' | 'Notice' | 'Informational';
  at: number;
  proc: Proc;
  tags: string[];
  /** The rule's message, before the field list. */
  message: string;
  /** Rule-specific output fields (fd.name, evt.type, proc.aname[2], …). */
  fields: Record<string, unknown>;
}

/** The body Falco or Falcosidekick posts, and its label key. */
export interface FalcoWire {
  body: string;
  key: string;
}

/** One Falco alert; `sidekick` adds the uuid (and Falcosidekick's sorted tags). */
export function falcoAlert(spec: FalcoAlertSpec, append: FalcoAppend, sidekick: boolean, r: Rng): FalcoWire {
  const p = spec.proc;
  const pod = p.pod;
  const nanos = r.int(0, 999_999);
  const time = isoNanos(spec.at, nanos);
  const [repository, tag] = splitImage(pod.image);
  const fields: Record<string, unknown> = {
    'evt.time': spec.at * 1_000_000 + nanos,
    'evt.type': 'execve',
    'user.name': p.uid === 0 ? 'root' : p.uid === 33 ? 'www-data' : `uid${p.uid}`,
    'user.uid': p.uid,
    'user.loginuid': -1,
    'proc.name': comm(p),
    'proc.exepath': p.binary,
    'proc.cmdline': `${comm(p)} ${p.args}`.trim(),
    'proc.pname': p.parent && p.parent !== pod.shim ? comm(p.parent) : 'containerd-shim',
    'proc.tty': 0,
    'container.id': pod.containerId.slice(0, 12),
    'container.name': pod.container,
    'container.image.repository': repository,
    'container.image.tag': tag,
    'k8s.ns.name': pod.namespace,
    'k8s.pod.name': pod.name,
    ...spec.fields,
    'proc.pid': p.pid,
    ...(append.ppid ? { 'proc.ppid': p.parent?.pid ?? 1 } : {}),
    ...(append.pidTs ? { 'proc.pid.ts': p.start * 1_000_000 + (p.pid % 1000) } : {}),
    ...(append.fullId ? { 'container.full_id': pod.containerId } : {}),
  };
  const shown = Object.entries(fields)
    .filter(([k]) => !k.startsWith('evt.time'))
    .map(([k, v]) => `${k.replace(/\./g, '_')}=${v === null ? '<NA>' : String(v)}`)
    .join(' ');
  const payload = {
    ...(sidekick ? { uuid: r.uuid() } : {}),
    output: `${time.slice(11, 29)}: ${spec.priority} ${spec.message} (${shown})`,
    priority: spec.priority,
    rule: spec.rule,
    time,
    output_fields: fields,
    source: 'syscall',
    tags: sidekick ? [...spec.tags].sort() : spec.tags,
    hostname: pod.node.name,
  };
  return {
    body: JSON.stringify(payload),
    key: falcoKey({ uuid: payload.uuid, time, rule: spec.rule, hostname: pod.node.name, pid: p.pid }),
  };
}

function splitImage(image: string): [string, string] {
  const i = image.lastIndexOf(':');
  return i > image.lastIndexOf('/') ? [image.slice(0, i), image.slice(i + 1)] : [image, 'latest'];
}
