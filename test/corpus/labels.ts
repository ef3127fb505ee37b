/**
 * Ground truth for the labelled corpus. Every event a generated record decodes into has exactly one
 * label, kept outside the stream in a map keyed by `<Source>|<SourceRecordId>`: the two evidence
 * columns of `CausewayEvidence_CL` (`Source` = the reporting product, `SourceRecordId` = the
 * record's native id), so a label joins to what the product writes without trusting its event ids.
 * The key builders below follow each decoder's native id (src/sources/*): a test in
 * test/corpus/corpus.test.ts decodes every generated record and fails if any event has no label.
 *
 * What an attack's story must hold (the FACT rule):
 * - fact: the events an analyst needs to tell the attack from start to end:
 *   prompt alerts (Defender for AI) and every vendor alert about the attack (Kubescape, Falco,
 *   Defender for Containers); the agent-turn spans that carried it (`invoke_agent`, `execute_tool`,
 *   MCP client and server `tools/call` spans); every process the attack started (`process.exec`);
 *   its sensitive file reads (credentials, tokens, keys, `/etc/shadow`, the dropped payload written);
 *   its network connections (downloads, metadata endpoint, API server, exfiltration, beacons), also
 *   when a long-running server process makes them in-process during an attack's tool call.
 * - part: attack events a story may hold but need not: `chat` spans of an attack turn, process
 *   exits, routine reads of attack processes (shared libraries, `/etc/passwd` for `id`). They count
 *   for the attack in precision and in "stories per attack", never in fact recall.
 * - context: the conversation turn that led into an attack turn (DESIGN §4.1 allows a story to hold
 *   it). It neither helps nor hurts precision and is not an attack event.
 * - benign: everything else, including the attacked agent's own routine before and after, and
 *   its model-endpoint and database connections even during an attack turn (routine traffic the
 *   kernel cannot tell apart).
 */

/** How an event relates to an attack (see the FACT rule above). */
export type AttackRole = 'fact' | 'part' | 'context';

/** One event's ground truth. */
export type Label = 'benign' | { attack: string; role: AttackRole };

/** Ground truth of one scenario: label key → label. */
export type LabelMap = Map<string, Label>;

/** The join key: evidence `Source` and `SourceRecordId`. */
export function labelKey(source: string, sourceRecordId: string): string {
  return `${source}|${sourceRecordId}`;
}

/** Tetragon: `<exec_id>@<top-level time>` (src/sources/tetragon.ts). */
export function tetragonKey(execId: string, time: string): string {
  return labelKey('tetragon', `${execId}@${time}`);
}

/** OTLP span: `<traceId>/<spanId>`, lowercase (src/sources/otlp.ts). */
export function spanKey(traceId: string, spanId: string): string {
  return labelKey('otel', `${traceId.toLowerCase()}/${spanId.toLowerCase()}`);
}

/** Kubescape: `<ruleID>:<containerID>:<infectedPID>:<uniqueID>:<timestamp>` (src/sources/kubescape.ts). */
export function kubescapeKey(
  ruleId: string,
  containerId: string,
  pid: number,
  uniqueId: string,
  timestamp: string,
): string {
  return labelKey('kubescape', `${ruleId}:${containerId.toLowerCase()}:${pid}:${uniqueId}:${timestamp}`);
}

/** Falco: Falcosidekick's `uuid`, else `<time>:<rule>:<hostname>:<proc.pid>` (src/sources/falco.ts). */
export function falcoKey(alert: { uuid?: string; time: string; rule: string; hostname: string; pid?: number }): string {
  return labelKey('falco', alert.uuid ?? `${alert.time}:${alert.rule}:${alert.hostname}:${alert.pid ?? '-'}`);
}

/** Defender: the `SystemAlertId` in every shape (src/sources/defender/index.ts). */
export function defenderKey(systemAlertId: string): string {
  return labelKey('defender', systemAlertId);
}

/** The attack an event belongs to when it counts for that attack (fact or part). */
export function attackOf(label: Label | undefined): string | undefined {
  return label && label !== 'benign' && label.role !== 'context' ? label.attack : undefined;
}

/** Whether the event is one of its attack's facts. */
export function isFact(label: Label | undefined): boolean {
  return !!label && label !== 'benign' && label.role === 'fact';
}
