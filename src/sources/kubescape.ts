/**
 * Kubescape node-agent runtime alerts: the HTTP exporter envelope (`kind: RuntimeAlerts`, one or
 * more alerts of one container plus the merged process chain) and the stdout exporter line
 * (logrus JSON: BaseRuntimeMetadata / RuntimeK8sDetails / RuntimeProcessDetails / RuleID).
 * Process start times in Kubescape are wall-clock and display-only, so process keys are
 * node + container + pid + comm (reference/sensor-formats.md §1.3).
 */
import type {
  AncestorInfo,
  EventKind,
  Layer,
  NetworkInfo,
  RuntimeEvent,
  Severity,
  WorkloadIdentity,
} from '../model/event.ts';
import { isPermanentError, PermanentError } from '../errors.ts';
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
import {
  arr,
  compact,
  num,
  obj,
  result,
  str,
  type DecodeContext,
  type DecodeDrop,
  type DecodeResult,
  type Json,
  type Source,
} from './source.ts';
import { normaliseWorkloadKind } from './workloadKind.ts';

/** Rule id → [name, tactic, technique], from the node-agent rule catalogue (kubescape/node-agent default-rules.yaml). */
const RULES: Record<string, [string, string, string]> = {
  R0001: ['Unexpected process launched', 'TA0002', 'T1059'],
  R0002: ['Files Access Anomalies in container', 'TA0009', 'T1005'],
  R0003: ['Syscalls Anomalies in container', 'TA0002', 'T1059'],
  R0004: ['Linux Capabilities Anomalies in container', 'TA0002', 'T1059'],
  R0005: ['DNS Anomalies in container', 'TA0011', 'T1071.004'],
  R0006: ['Unexpected service account token access', 'TA0006', 'T1528'],
  R0007: ['Workload uses Kubernetes API unexpectedly', 'TA0008', 'T1210'],
  R0008: ['Read Environment Variables from procfs', 'TA0006', 'T1552.001'],
  R0009: ['eBPF Program Load', 'TA0005', 'T1218'],
  R0010: ['Unexpected Sensitive File Access', 'TA0006', 'T1005'],
  R0011: ['Unexpected Egress Network Traffic', 'TA0010', 'T1041'],
  R0040: ['Unexpected process arguments', 'TA0002', 'T1059'],
  R1000: ['Process Executed from /dev/shm', 'TA0002', 'T1059'],
  R1001: ['Drifted process executed', 'TA0005', 'T1036'],
  R1002: ['Process tries to load a kernel module', 'TA0005', 'T1547.006'],
  R1003: ['SSH Connection to Unexpected Destination on Non-Standard Port', 'TA0008', 'T1021.001'],
  R1004: ['Process executed from mount', 'TA0002', 'T1059'],
  R1005: ['Fileless execution detected', 'TA0005', 'T1055'],
  R1006: ['Unexpected unshare Syscall in Container', 'TA0004', 'T1611'],
  R1007: ['Crypto miner launched', 'TA0040', 'T1496'],
  R1008: ['Crypto Mining Domain Communication', 'TA0011', 'T1071.004'],
  R1009: ['Crypto Mining Related Port Communication', 'TA0011', 'T1071'],
  R1010: ['Soft link created over sensitive file', 'TA0006', 'T1005'],
  R1011: ['ld_preload Mechanism Use or ld.so.preload Modification', 'TA0005', 'T1574.006'],
  R1012: ['Hard link created over sensitive file', 'TA0006', 'T1005'],
  R1015: ['Unexpected Ptrace Syscall Usage', 'TA0005', 'T1622'],
  R1030: ['Unexpected io_uring Operation Detected', 'TA0002', 'T1218'],
  R2000: ['Exec to pod', 'TA0002', 'T1609'],
  R2001: ['Port forward to pod', 'TA0011', 'T1090'],
};

/** Kubescape severities run 1 (anomaly) … 10 (critical). */
function severityOf(n: number | undefined): Severity {
  if (n === undefined) return 'Low';
  if (n >= 7) return 'High';
  if (n >= 4) return 'Medium';
  return 'Low';
}

/** `childrenMap` keys are `comm␟pid` (U+241F), from CommPID.MarshalText. */
const SEPARATOR = '\u241f';

interface TreeProcess {
  pid?: number;
  ppid?: number;
  comm?: string;
  cmdline?: string;
  path?: string;
  uid?: number;
  userName?: string;
}

/** Flattens the chain tree (childrenMap or the deprecated children[]) into pid → process. */
function flattenTree(node: Json | undefined, into: Map<number, TreeProcess>, depth = 0): void {
  if (!node || depth > 64) return;
  const pid = num(node.pid);
  if (pid !== undefined && pid > 0) {
    into.set(
      pid,
      compact({
        pid,
        ppid: num(node.ppid),
        comm: str(node.comm),
        cmdline: str(node.cmdline),
        path: str(node.path) ?? str(node.hardlink),
        uid: num(node.uid),
        userName: str(node.userName),
      }),
    );
  }
  const childrenMap = obj(node.childrenMap);
  if (childrenMap) for (const child of Object.values(childrenMap)) flattenTree(obj(child), into, depth + 1);
  for (const child of arr(node.children)) flattenTree(obj(child), into, depth + 1);
}

export const kubescape: Source = {
  name: 'kubescape',

  detect(record) {
    return (
      (record.kind === 'RuntimeAlerts' && obj(record.spec) !== undefined) ||
      obj(record.BaseRuntimeMetadata) !== undefined
    );
  },

  decode(record, ctx): DecodeResult {
    const validate = validator('sources', 'kubescape.schema.json');
    if (!validate(record))
      throw new PermanentError(
        `Kubescape alert does not match the exporter format: ${describeErrors(validate.errors)}`,
        'schema-mismatch',
      );
    if (record.kind === 'RuntimeAlerts') {
      const spec = obj(record.spec) ?? {};
      const tree = new Map<number, TreeProcess>();
      flattenTree(obj(obj(spec.processTree)?.processTree) ?? obj(spec.processTree), tree);
      const alerts = arr(spec.alerts);
      if (!alerts.length) return result([], [{ reason: 'empty', detail: 'a RuntimeAlerts envelope with no alerts' }]);
      // One alert of the envelope that cannot be read is rejected alone; the others go on.
      const events: RuntimeEvent[] = [];
      const rejects: DecodeDrop[] = [];
      alerts.forEach((a, i) => {
        try {
          events.push(alertEvent(obj(a) ?? {}, {}, tree, ctx, 'kubescape.runtimealerts', i));
        } catch (e) {
          if (!isPermanentError(e)) throw e;
          rejects.push({ reason: e.code as DecodeDrop['reason'], detail: `alert ${i + 1}: ${e.message}` });
        }
      });
      return { events, drops: [], rejects };
    }
    // stdout exporter line
    const base = obj(record.BaseRuntimeMetadata) ?? {};
    const k8s = obj(record.RuntimeK8sDetails) ?? {};
    const tree = new Map<number, TreeProcess>();
    const details = obj(record.RuntimeProcessDetails);
    flattenTree(obj(details?.processTree) ?? details, tree);
    const alert = {
      ...base,
      ...k8s,
      ruleID: str(record.RuleID) ?? str(base.ruleID),
      message: str(record.message) ?? str(base.message),
    };
    return result([alertEvent(alert, {}, tree, ctx, 'kubescape.stdout', 0)]);
  },
};

function alertEvent(
  alert: Json,
  _extra: Json,
  tree: Map<number, TreeProcess>,
  ctx: DecodeContext,
  format: string,
  index: number,
): RuntimeEvent {
  const ruleId = str(alert.ruleID) ?? '';
  const alertName = str(alert.alertName) ?? RULES[ruleId]?.[0] ?? 'Kubescape runtime alert';
  const containerId = normaliseContainerId(alert.containerID);
  const node = str(alert.nodeName);
  const workload = compact<WorkloadIdentity>({
    cluster: str(alert.clusterName) ?? ctx.cluster,
    namespace: str(alert.podNamespace) ?? str(alert.namespace),
    pod: str(alert.podName),
    podUid: str(alert.podUID),
    container: str(alert.containerName),
    containerId,
    node,
    workloadKind: normaliseWorkloadKind(str(alert.workloadKind)),
    workloadName: str(alert.workloadName),
    image: str(alert.image),
  });
  const uniqueId = str(alert.uniqueID) ?? '';
  const nativeId = `${ruleId}:${containerId ?? '-'}:${str(alert.infectedPID) ?? '-'}:${uniqueId}:${alert.timestamp}`;

  if (alertName === 'AlertLimitReached' || /alert limit reached/i.test(alertName)) {
    return {
      id: `kubescape:limit:${nativeId}`,
      layer: 'health',
      kind: 'health.alert-limit',
      // The node-agent sends this notice with Go's zero time (0001-01-01T00:00:00Z): the only
      // sane time a health row can carry is when the notice arrived.
      time: ctx.time?.arrival ?? 0,
      source: { product: 'kubescape', format, nativeId },
      workload,
      health: {
        reason: 'kubescape-alert-limit',
        detail: 'node-agent HTTP exporter reached maxAlertsPerMinute and dropped alerts for the rest of the minute',
      },
    };
  }

  const time = timeField(alert.timestamp, 'timestamp', 'Kubescape alert', ctx);
  if (time === undefined) throw new PermanentError('Kubescape alert has no "timestamp"', 'schema-mismatch');
  const args = obj(alert.arguments) ?? {};
  const ids = obj(alert.identifiers) ?? {};
  const pid = num(alert.infectedPID);
  const me = pid !== undefined ? tree.get(pid) : undefined;
  const idProcess = obj(ids.process);
  const comm = me?.comm ?? str(idProcess?.name);
  const binary = str(args.exec) ?? me?.path ?? fileFromIdentifiers(obj(ids.file));
  const ancestors = pid !== undefined ? chainOf(pid, tree, node, containerId) : [];
  const parent = ancestors.at(-2);

  // What the triggering event touched: a file, a destination, a DNS name.
  const path =
    normalisePath(args.path) ??
    (ruleId.startsWith('R00') && obj(ids.file) && !args.exec ? fileFromIdentifiers(obj(ids.file)) : undefined);
  const network: NetworkInfo = compact<NetworkInfo>({
    dstIp: normaliseIp(args.ip) ?? normaliseIp(obj(ids.network)?.dstIP) ?? normaliseIp(arr(args.addresses)[0]),
    dstPort: num(args.port) ?? num(obj(ids.network)?.dstPort),
    protocol: normaliseProtocol(args.proto ?? args.protocol ?? obj(ids.network)?.protocol),
    domain: str(args.domain) ?? str(obj(ids.dns)?.domain),
    addresses: arr(args.addresses)
      .map(normaliseIp)
      .filter((v): v is string => !!v),
  });
  if (!network.addresses?.length) delete network.addresses;
  const [, tactic, technique] = RULES[ruleId] ?? [];
  const layer: Layer = 'alert';
  const kind: EventKind = 'alert';
  return compact<RuntimeEvent>({
    id: `kubescape:${nativeId}:${index}`,
    layer,
    kind,
    time,
    source: { product: 'kubescape', format, nativeId },
    workload,
    process:
      pid !== undefined
        ? compact({
            key: processKey(node, containerId, pid, comm),
            parentKey: parent?.key,
            pid,
            ppid: me?.ppid,
            binary,
            commandLine:
              me?.cmdline ??
              str(idProcess?.commandLine) ??
              (Array.isArray(args.args) ? (args.args as unknown[]).join(' ') : undefined),
            user: me?.userName ?? (me?.uid !== undefined ? String(me.uid) : undefined),
            uid: me?.uid,
          })
        : undefined,
    ancestors: ancestors.length > 1 ? ancestors : undefined,
    file: path ? { path, operation: 'open' } : undefined,
    network: Object.keys(network).length ? network : undefined,
    alert: compact({
      vendor: 'kubescape',
      type: ruleId || alertName,
      name: alertName,
      severity: severityOf(num(alert.severity)),
      tactics: normaliseTactics(str(alert.mitreTactic) ?? tactic ?? ''),
      techniques: normaliseTechniques(str(alert.mitreTechnique) ?? technique ?? ''),
      nativeId,
      description: str(alert.message) ?? str(alert.ruleDescription),
    }),
  });
}

function fileFromIdentifiers(file: Json | undefined): string | undefined {
  if (!file) return undefined;
  const name = str(file.name);
  const dir = str(file.directory);
  if (!name) return undefined;
  return normalisePath(dir ? `${dir}/${name}` : name);
}

/** The chain from the container's first process down to `pid`, oldest first. */
function chainOf(
  pid: number,
  tree: Map<number, TreeProcess>,
  node: string | undefined,
  containerId: string | undefined,
): AncestorInfo[] {
  const chain: AncestorInfo[] = [];
  const seen = new Set<number>();
  let current = tree.get(pid);
  while (current?.pid !== undefined && !seen.has(current.pid) && chain.length < 64) {
    seen.add(current.pid);
    chain.unshift(
      compact({
        key: processKey(node, containerId, current.pid, current.comm),
        pid: current.pid,
        binary: current.path,
        commandLine: current.cmdline,
      }),
    );
    current = current.ppid !== undefined ? tree.get(current.ppid) : undefined;
  }
  return chain;
}

export const KUBESCAPE_SEPARATOR = SEPARATOR;
