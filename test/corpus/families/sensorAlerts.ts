/**
 * The runtime-sensor alerts the families raise, with the names, severities, messages, unique ids
 * and output fields of the real rule catalogues: Kubescape node-agent default rules
 * (samples/kubescape/default-rules.yaml) and Falco's rules (falcosecurity/rules).
 */
import type { FalcoAlertSpec } from '../wire/falco.ts';
import { comm, type KubescapeAlertSpec } from '../wire/kubescape.ts';
import type { Proc } from '../world.ts';

type KubescapeRule = 'R0001' | 'R0006' | 'R0007' | 'R0010' | 'R0011' | 'R1001' | 'R1007' | 'R1009';

/** What the triggering event touched. */
export interface Touch {
  path?: string;
  ip?: string;
  port?: number;
}

/** A Kubescape alert about `p` at `at`, as rule `rule` words it. */
export function kubescapeAlert(rule: KubescapeRule, p: Proc, at: number, touch: Touch = {}): KubescapeAlertSpec {
  const c = comm(p);
  const parent = p.parent ? comm(p.parent) : '';
  const exec = { exec: p.binary, args: [p.binary, ...p.args.split(' ').filter(Boolean)], retval: 0 };
  const open = { path: touch.path, flags: ['O_RDONLY', 'O_CLOEXEC'] };
  const net = { ip: touch.ip, port: touch.port, proto: 'TCP' };
  const base = { at, proc: p };
  switch (rule) {
    case 'R0001':
      return {
        ...base,
        ruleId: rule,
        name: 'Unexpected process launched',
        severity: 1,
        arguments: exec,
        uniqueId: `${c}_${p.binary}`,
        message: `Unexpected process launched: ${c} with PID ${p.pid}`,
      };
    case 'R0006':
      return {
        ...base,
        ruleId: rule,
        name: 'Unexpected service account token access',
        severity: 5,
        arguments: open,
        uniqueId: c,
        message: `Unexpected access to service account token: ${touch.path} with flags: O_RDONLY,O_CLOEXEC`,
        identifiers: { process: { name: c }, file: fileId(touch.path) },
      };
    case 'R0007':
      return {
        ...base,
        ruleId: rule,
        name: 'Workload uses Kubernetes API unexpectedly',
        severity: 5,
        arguments: net,
        uniqueId: `network_${touch.ip}`,
        message: `Network connection to Kubernetes API server from container ${p.pod.container}`,
        identifiers: { process: { name: c }, network: { dstIP: touch.ip, dstPort: touch.port, protocol: 'TCP' } },
      };
    case 'R0010':
      return {
        ...base,
        ruleId: rule,
        name: 'Unexpected Sensitive File Access',
        severity: 5,
        arguments: open,
        uniqueId: `${c}_${touch.path}`,
        message: `Unexpected sensitive file access: ${touch.path} by process ${c}`,
        identifiers: { process: { name: c }, file: fileId(touch.path) },
      };
    case 'R0011':
      return {
        ...base,
        ruleId: rule,
        name: 'Unexpected Egress Network Traffic',
        severity: 5,
        arguments: net,
        uniqueId: `${touch.ip}_${touch.port}_TCP`,
        message: `Unexpected egress network communication to: ${touch.ip}:${touch.port} using TCP from: ${p.pod.container}`,
        identifiers: { process: { name: c }, network: { dstIP: touch.ip, dstPort: touch.port, protocol: 'TCP' } },
      };
    case 'R1001':
      return {
        ...base,
        ruleId: rule,
        name: 'Drifted process executed',
        severity: 8,
        arguments: { ...exec, hardlink: p.binary },
        uniqueId: `${c}_${p.binary}_${parent}`,
        message: `Process (${c}) was executed and is not part of the image`,
      };
    case 'R1007':
      return {
        ...base,
        ruleId: rule,
        name: 'Crypto miner launched',
        severity: 10,
        arguments: exec,
        uniqueId: `${p.binary}_${c}`,
        message: `XMR Crypto Miner process: (${p.binary}) executed`,
      };
    case 'R1009':
      return {
        ...base,
        ruleId: rule,
        name: 'Crypto Mining Related Port Communication',
        severity: 3,
        arguments: net,
        uniqueId: `${c}_${touch.port}`,
        message: `Detected crypto mining related port communication on port ${touch.port} to ${touch.ip} with protocol TCP`,
        identifiers: { process: { name: c }, network: { dstIP: touch.ip, dstPort: touch.port, protocol: 'TCP' } },
      };
  }
}

function fileId(path: string | undefined) {
  if (!path) return undefined;
  const i = path.lastIndexOf('/');
  return { name: path.slice(i + 1), directory: path.slice(0, i) || '/' };
}

type FalcoRule =
  | 'Drop and execute new binary in container'
  | 'Read sensitive file untrusted'
  | 'Redirect STDOUT/STDIN to Network Connection in Container'
  | 'Detect outbound connections to common miner pool ports'
  | 'Contact K8S API Server From Container'
  | 'Contact cloud metadata service from container';

/** A Falco alert about `p` at `at`, with the rule's own output fields. */
export function falcoAlert(rule: FalcoRule, p: Proc, at: number, touch: Touch = {}): FalcoAlertSpec {
  const ancestors = (n: number) => {
    let c: Proc | undefined = p;
    for (let i = 0; i < n && c; i++) c = c.parent;
    return c && c !== p.pod.shim ? comm(c) : null;
  };
  const tuple = `${p.pod.ip}:${40000 + (p.pid % 20000)}->${touch.ip}:${touch.port}`;
  switch (rule) {
    case 'Drop and execute new binary in container':
      return {
        rule,
        priority: 'Critical',
        at,
        proc: p,
        tags: ['container', 'maturity_stable', 'mitre_persistence', 'process', 'TA0003', 'PCI_DSS_11.5.1'],
        message: 'Executing binary not part of base image',
        fields: {
          'evt.type': 'execve',
          'proc.exe': p.binary,
          'proc.sname': ancestors(2) ?? comm(p),
          'proc.aname[2]': ancestors(2),
          'proc.is_exe_upper_layer': true,
          'evt.arg.flags': 'EXE_WRITABLE|EXE_UPPER_LAYER',
        },
      };
    case 'Read sensitive file untrusted':
      return {
        rule,
        priority: 'Warning',
        at,
        proc: p,
        tags: ['container', 'filesystem', 'host', 'maturity_stable', 'mitre_credential_access', 'T1555'],
        message: 'Sensitive file opened for reading by non-trusted program',
        fields: {
          'evt.type': 'openat',
          'fd.name': touch.path,
          'proc.aname[2]': ancestors(2),
          'proc.aname[3]': ancestors(3),
          'proc.aname[4]': ancestors(4),
        },
      };
    case 'Redirect STDOUT/STDIN to Network Connection in Container':
      return {
        rule,
        priority: 'Notice',
        at,
        proc: p,
        tags: ['container', 'maturity_stable', 'mitre_execution', 'network', 'process', 'T1059'],
        message: 'Redirect stdout/stdin to network connection',
        fields: { 'evt.type': 'dup2', 'fd.name': tuple, 'fd.type': 'ipv4', 'fd.num': 0 },
      };
    case 'Detect outbound connections to common miner pool ports':
      return {
        rule,
        priority: 'Critical',
        at,
        proc: p,
        tags: ['container', 'host', 'maturity_sandbox', 'mitre_impact', 'network', 'T1496'],
        message: 'Outbound connection to IP/Port flagged by https://cryptoioc.ch',
        fields: { 'evt.type': 'connect', 'fd.name': tuple, 'fd.rip': touch.ip, 'fd.rport': touch.port },
      };
    case 'Contact K8S API Server From Container':
      return {
        rule,
        priority: 'Notice',
        at,
        proc: p,
        tags: ['container', 'k8s', 'maturity_stable', 'mitre_discovery', 'network', 'T1565'],
        message: 'Unexpected connection to K8s API Server from container',
        fields: {
          'evt.type': 'connect',
          'fd.name': tuple,
          'fd.lport': 40000 + (p.pid % 20000),
          'fd.rport': touch.port,
          'fd.type': 'ipv4',
          'fd.l4proto': 'tcp',
        },
      };
    case 'Contact cloud metadata service from container':
      return {
        rule,
        priority: 'Notice',
        at,
        proc: p,
        tags: ['container', 'maturity_sandbox', 'mitre_discovery', 'network', 'T1565'],
        message: 'Outbound connection to cloud instance metadata service',
        fields: { 'evt.type': 'connect', 'fd.name': tuple, 'fd.l4proto': 'tcp' },
      };
  }
}
