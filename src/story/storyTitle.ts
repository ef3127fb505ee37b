/**
 * The story's title, as a SOC analyst would say it: how the attack came in (a prompt alert, a tool
 * call, a process or a sensor alert), then its most significant effects in causal order, with the
 * workload: "Prompt injection in travel-agent → workload-identity token read through read_file →
 * sent to 203.0.113.50". It depends on what kinds of thing happened, never on counts or times, so
 * a growing story keeps its title until its meaning changes. Every attacker-controlled part passes
 * titleValue (no Markdown, HTML or placeholder syntax, one line, short).
 */
import type { Signal } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { baseName } from '../common/paths.ts';
import { singleLine, titleValue } from './escape.ts';
import { promptWords } from './promptWords.ts';

/** Titles stay under this many characters (Sentinel shows ~120 in the incident queue). */
export const TITLE_MAX = 120;

/** What the title is made from. */
export interface TitleInput {
  /** Shown events in time order, with the rule ids raised on each. */
  events: readonly RuntimeEvent[];
  signals: readonly Signal[];
  /** The tool call an event ran in (event id → tool name). */
  toolOf: ReadonlyMap<string, string>;
  agentNames: readonly string[];
  /** Where the anchor happened. */
  workload: { namespace?: string; workloadName?: string; pod?: string };
}

/** One effect of the attack in analyst words, and how much it matters in a title (lower first). */
interface Effect {
  kind: string;
  rank: number;
  time: number;
  text: string;
  /** The process that did it: two effects of one process (curl started, curl connected) say one thing. */
  process?: string;
  /** What it reached: new egress to an address and data sent to it say one thing. */
  subject?: string;
}

const v = (s: string | undefined, max = 40) => titleValue(s ?? '', max);

/** The title of a story (see the module comment). */
export function storyTitle(input: TitleInput): string {
  const events = new Map(input.events.map((e) => [e.id, e]));
  const entryTool = input.events.some((e) => e.layer === 'prompt') ? undefined : firstTool(input);
  const effects = new Map<string, Effect>();
  for (const s of input.signals) {
    const e = events.get(s.eventId);
    if (!e || e.layer === 'prompt') continue;
    const tool = input.toolOf.get(e.id);
    const effect = effectOf(s, e, tool === entryTool ? undefined : tool);
    const known = effects.get(effect.kind);
    if (!known || effect.time < known.time) effects.set(effect.kind, effect);
  }
  // A cloud event is in a story only through a credential edge (credentialLinks.ts): the credential was used.
  const used = input.events.find((e) => e.layer === 'cloud');
  if (used && !effects.has('credential-use'))
    effects.set('credential-use', {
      kind: 'credential-use',
      rank: 0,
      time: used.time,
      text: `stolen credential used${sourceOf(used)}`,
    });
  const { text: entry, consumes } = entryOf(input, effects, entryTool);
  if (consumes) effects.delete(consumes);
  const ranked = [...effects.values()].sort((a, b) => a.rank - b.rank || a.time - b.time);
  let chosen: Effect[] = [];
  for (const effect of ranked) {
    if (chosen.length === 3) break;
    if (
      chosen.some(
        (c) => (effect.process && c.process === effect.process) || (effect.subject && c.subject === effect.subject),
      )
    )
      continue;
    const next = [...chosen, effect].sort((a, b) => a.time - b.time || a.rank - b.rank);
    if (join(entry, next).length <= TITLE_MAX || !chosen.length) chosen = next;
  }
  return singleLine(join(entry, chosen), TITLE_MAX);
}

function join(entry: string, effects: readonly Effect[]): string {
  return [entry, ...effects.map((e) => e.text)].join(' → ');
}

/** How the attack came in, with the workload; and the effect kind it already says. */
/** The workload the first flagged event of a tool call ran in. */
function toolWhere(input: TitleInput, tool: string): string | undefined {
  const flagged = new Set(input.signals.map((s) => s.eventId));
  const w = input.events.find((e) => flagged.has(e.id) && input.toolOf.get(e.id) === tool)?.workload;
  return w?.namespace ? v(`${w.namespace}/${w.workloadName ?? w.pod ?? ''}`, 60) : undefined;
}

/** The tool call of the first flagged event that ran in one. */
function firstTool(input: TitleInput): string | undefined {
  const flagged = new Set(input.signals.map((s) => s.eventId));
  const first = input.events.find((e) => flagged.has(e.id) && input.toolOf.has(e.id));
  return first ? input.toolOf.get(first.id) : undefined;
}

function entryOf(
  input: TitleInput,
  effects: ReadonlyMap<string, Effect>,
  tool: string | undefined,
): { text: string; consumes?: string } {
  const prompt = input.events.find((e) => e.layer === 'prompt' && e.alert);
  const agent = input.agentNames[0];
  if (prompt?.alert) {
    const target = prompt.alert.applicationName ?? agent;
    return { text: `${promptWords(prompt.alert.type)}${target ? ` in ${v(target)}` : ''}` };
  }
  const where = v(
    input.workload.namespace
      ? `${input.workload.namespace}/${input.workload.workloadName ?? input.workload.pod ?? ''}`
      : (input.workload.workloadName ?? input.workload.pod ?? 'the cluster'),
    60,
  );
  // Where the tool ran, not which agent called it: the agent's turn may join the story later, and a
  // title must not change for that.
  if (tool) return { text: `Tool call ${v(tool)} in ${toolWhere(input, tool) ?? where}` };
  const flagged = new Set(input.signals.map((s) => s.eventId));
  const alert = effects.get('sensor-alert');
  if (alert) return { text: `${alert.text} in ${where}`, consumes: 'sensor-alert' };
  const process = input.events.find((e) => flagged.has(e.id) && e.process?.binary);
  if (!process) {
    // Nothing ran: the most significant effect is the news (an unusual tool call of an agent).
    const top = [...effects.values()].sort((a, b) => a.rank - b.rank || a.time - b.time)[0];
    return top ? { text: `${upperFirst(top.text)} in ${where}`, consumes: top.kind } : { text: `Activity in ${where}` };
  }
  // A process the workload's profile never ran is the entry's own news (profile rules say so).
  const unprofiled = input.signals.some((s) => s.eventId === process.id && /PROFILE-NEW-PROCESS/.test(s.ruleId));
  return {
    text: `${unprofiled ? 'Unprofiled process' : 'Process'} ${v(baseName(process.process!.binary))} in ${where}`,
    ...(unprofiled ? { consumes: 'unprofiled-process' } : {}),
  };
}

/** What a flagged event did, by the rule's tactics and techniques (so new rules fit without code). */
function effectOf(s: Signal, e: RuntimeEvent, tool: string | undefined): Effect {
  const tactics = new Set(s.tactics);
  const has = (prefix: string) => s.techniques.some((t) => t.startsWith(prefix));
  const through = tool ? ` through ${v(tool)}` : '';
  const effect = (kind: string, rank: number, text: string): Effect => ({
    kind,
    rank,
    time: s.time,
    text,
    ...(e.process?.key ? { process: e.process.key } : {}),
  });
  // A sensor alert mostly corroborates what the events say: it ranks after them, whatever its tactics.
  if (e.kind === 'alert' && e.alert)
    return {
      ...effect('sensor-alert', 6.5, `${productWords(e.source.product)}: ${v(e.alert.name || e.alert.type, 50)}`),
      process: undefined,
    };
  if (has('T1078') || has('T1550') || /CRED(ENTIAL)?-USE|IDENTITY-USE/.test(s.ruleId))
    return effect('credential-use', 0, `stolen credential used${sourceOf(e)}`);
  if (tactics.has('Exfiltration'))
    return { ...effect('exfiltration', 1, `sent to ${v(destination(e), 60)}`), subject: destination(e) };
  if (has('T1552.005')) return effect('credential-access', 2, `instance-metadata token requested${through}`);
  // A tool argument that names a credential is the intent; the kernel read, when seen, is the act.
  if (tactics.has('CredentialAccess') && (e.layer === 'protocol' || e.layer === 'agent'))
    return effect('credential-argument', 7.5, `${lowerFirst(s.name)}${through}`);
  if (tactics.has('CredentialAccess')) return effect('credential-access', 2, `${credentialWords(e, s)} read${through}`);
  if (has('T1036') || /WRITABLE/.test(s.ruleId))
    return effect('writable-exec', 3, `${v(e.process?.binary ?? baseName(e.file?.path), 40)} executed`);
  if (has('T1105')) return effect('download', 5, `download with ${v(baseName(e.process?.binary) || 'a process')}`);
  if (has('T1059.004') || /SHELL/.test(s.ruleId)) return effect('shell', 6, `shell spawned${through}`);
  if (tactics.has('CommandAndControl') && e.network)
    return { ...effect('egress', 7, `new egress to ${v(destination(e), 60)}`), subject: destination(e) };
  if (e.trace?.toolName && (e.layer === 'agent' || e.layer === 'protocol'))
    return effect('tool-anomaly', 8, `unusual tool ${v(e.trace.toolName)}`);
  if (/PROFILE-NEW-PROCESS/.test(s.ruleId))
    return effect('unprofiled-process', 8, `unprofiled process ${v(baseName(e.process?.binary) || 'started')}`);
  return effect(`rule:${s.ruleId}`, 9, lowerFirst(s.name.split(': ')[0]!));
}

function credentialWords(e: RuntimeEvent, s: Signal): string {
  // A file event names the path; a process names it on its command line (cat ~/.aws/credentials).
  const text = e.layer === 'file' ? (e.file?.path ?? '') : (e.process?.commandLine ?? '');
  if (text.includes('/var/run/secrets/azure/tokens/')) return 'workload-identity token';
  if (/\/var\/run\/secrets\/(kubernetes\.io\/serviceaccount|tokens)\//.test(text)) return 'service-account token';
  if (/\/etc\/g?shadow\b/.test(text)) return 'password database';
  if (text.includes('/.ssh/')) return 'SSH key';
  if (text.includes('/.kube/')) return 'kubeconfig';
  if (/\/\.(aws|azure|config\/gcloud)\//.test(text)) return 'cloud CLI credentials';
  if (e.layer === 'file' && text) return `secret ${v(baseName(text), 30)}`;
  return lowerFirst(s.name.split(': ')[0]!.replace(/ read$/, ''));
}

function destination(e: RuntimeEvent): string {
  return e.network?.domain ?? e.network?.dstIp ?? 'an outside address';
}

function sourceOf(e: RuntimeEvent): string {
  const ip = e.network?.srcIp ?? e.alert?.sourceIp ?? e.trace?.clientAddress ?? e.cloud?.sourceIp;
  return ip ? ` from ${v(ip)}` : '';
}

function productWords(product: string): string {
  return product ? product[0]!.toUpperCase() + product.slice(1) : 'Sensor';
}

function upperFirst(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}
