/**
 * `causeway policy check <draft.yaml> --against <tables dir | replay files>` and
 * `causeway policy graduate <draft.yaml> --against … [--min-window 7d] [--out file]`: judge draft
 * policies by what the workloads were seen doing, then write the enforcing version only when
 * nothing benign would be denied over a long enough window. Files go through the replay path (the
 * one pipeline); a tables directory gives what the pipeline kept.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { loadConfig, type FlagSettings } from '../config/config.ts';
import { InProcessPipeline } from '../pipeline/inProcess.ts';
import { emptyReport } from '../common/report.ts';
import { DraftError, readDrafts, type DraftDocument } from '../profiles/draftDocument.ts';
import { formatDuration, graduateDraft, parseDuration } from '../profiles/graduate.ts';
import { EventObservations, observationsFromTables, type Observations } from '../profiles/observations.ts';
import type { ObservedFlow } from '../profiles/observedFlow.ts';
import { loadBaselines } from '../profiles/baselines.ts';
import { checkPolicies, type CheckResult, type DeniedFlow } from '../profiles/policyCheck.ts';
import { SignalEngine } from '../signals/engine.ts';
import type { Sink } from '../sinks/sink.ts';
import { singleLine } from '../story/escape.ts';
import { silentLogger } from '../telemetry/log.ts';
import { replayFiles } from './replay.ts';
import { readTableRows } from './tableFiles.ts';

export interface PolicyOptions {
  draft: string;
  against: string[];
  configFile?: string;
  flags: FlagSettings;
  env: Record<string, string | undefined>;
}

const DEFAULT_MIN_WINDOW = '7d';

export async function policyCheck(o: PolicyOptions): Promise<number> {
  const prepared = await prepare(o);
  if (typeof prepared === 'number') return prepared;
  const { drafts, observations, result } = prepared;
  process.stdout.write(renderCheck(o, drafts, observations, result));
  return result.benignDenied || result.unobserved.length ? 1 : 0;
}

export async function policyGraduate(o: PolicyOptions & { minWindow?: string; out?: string }): Promise<number> {
  const minWindow = parseDuration(o.minWindow ?? DEFAULT_MIN_WINDOW);
  if (minWindow === undefined)
    return fail('--min-window takes a number of days, hours or minutes, e.g. 7d, 36h or 90m');
  const prepared = await prepare(o);
  if (typeof prepared === 'number') return prepared;
  const { drafts, observations, result } = prepared;
  // The report goes where the YAML does not.
  const report = o.out ? process.stdout : process.stderr;
  report.write(renderCheck(o, drafts, observations, result));
  const reasons: string[] = [];
  if (result.benignDenied)
    reasons.push(
      `${plural(result.benignDenied, 'benign flow')} would be denied (listed above): observe longer or allow ${result.benignDenied === 1 ? 'it' : 'them'}, then check again`,
    );
  for (const label of result.unobserved) reasons.push(`nothing was observed for ${label}`);
  for (const t of result.targets) {
    if (!t.window) continue;
    const span = t.window.last - t.window.first;
    if (span < minWindow)
      reasons.push(
        `the observations of ${t.label} cover ${formatDuration(span)} (${iso(t.window.first)} to ${iso(t.window.last)}), less than the --min-window of ${formatDuration(minWindow)}: keep observing and graduate later`,
      );
  }
  if (reasons.length) {
    report.write(`Not graduated:\n${reasons.map((r) => `  - ${r}\n`).join('')}`);
    return 1;
  }
  const enforcing = drafts.map((d) => {
    const target = result.targets.find((t) => t.drafts.includes(d))!;
    return graduateDraft(d, {
      window: target.window!,
      flows: target.evaluated + target.notEvaluated,
      records: observations.records,
    });
  });
  const text = enforcing.map((doc) => stringify(doc, { lineWidth: 0, sortMapEntries: false })).join('---\n');
  if (o.out) writeFileSync(o.out, text);
  else process.stdout.write(text);
  const cilium = drafts.some((d) => d.kind === 'CiliumNetworkPolicy')
    ? '; then turn Cilium policy audit mode off for these endpoints (policy-audit-mode)'
    : '';
  report.write(
    `Graduated ${plural(drafts.length, 'policy', 'policies')}${o.out ? ` to ${o.out}` : ''}: apply ${drafts.length === 1 ? 'it' : 'them'} to enforce${cilium}.\n`,
  );
  return 0;
}

interface Prepared {
  drafts: DraftDocument[];
  observations: Observations;
  result: CheckResult;
}

async function prepare(o: PolicyOptions): Promise<Prepared | number> {
  if (!o.against.length)
    return fail('policy needs --against <tables directory> or --against <replay files> (repeatable)');
  if (!existsSync(o.draft)) return fail(`${o.draft} does not exist: name the draft YAML that profile export wrote`);
  let drafts: DraftDocument[];
  try {
    drafts = readDrafts(readFileSync(o.draft, 'utf8'), o.draft);
  } catch (e) {
    if (e instanceof DraftError) return fail(e.message);
    throw e;
  }
  const missing = o.against.filter((a) => !existsSync(a));
  if (missing.length) return fail(`--against ${missing.join(', ')}: does not exist`);
  const dirs = o.against.filter((a) => statSync(a).isDirectory());
  if (dirs.length && dirs.length < o.against.length)
    return fail('--against takes tables directories or replay files, not both in one check');
  const observations = dirs.length ? fromTables(dirs) : await fromReplay(o);
  if (typeof observations === 'number') return observations;
  try {
    return { drafts, observations, result: checkPolicies({ drafts, ...observations }) };
  } catch (e) {
    if (e instanceof DraftError) return fail(e.message);
    throw e;
  }
}

function fromTables(dirs: readonly string[]): Observations {
  const rows = {
    profiles: [] as Record<string, unknown>[],
    evidence: [] as Record<string, unknown>[],
    stories: [] as Record<string, unknown>[],
  };
  for (const d of dirs) {
    rows.profiles.push(...readTableRows(d, 'CausewayProfiles_CL'));
    rows.evidence.push(...readTableRows(d, 'CausewayEvidence_CL'));
    rows.stories.push(...readTableRows(d, 'CausewayStories_CL'));
  }
  return observationsFromTables(rows);
}

/** Files through the replay path, every workload event observed; rows are not written anywhere. */
async function fromReplay(o: PolicyOptions): Promise<Observations | number> {
  const { config } = loadConfig({ file: o.configFile, env: o.env, flags: o.flags });
  const observed = new EventObservations();
  const pipeline = new InProcessPipeline({
    config,
    signals: SignalEngine.load(config.signals.packs),
    sink: DISCARD,
    logger: silentLogger,
    clock: Date.now,
    host: 'policy-check',
    baselines: loadBaselines(config),
    observe: (events) => observed.addEvents(events.map((k) => k.event)),
  });
  const run = await replayFiles(pipeline, o.against, { quiet: true });
  if ('error' in run) return fail(run.error);
  observed.addStories(run.latest.all());
  return observed.result();
}

/** A check writes no rows: the stories it needs come back from the replay itself. */
const DISCARD: Sink = {
  name: 'discard',
  write: async () => emptyReport(),
  flush: async () => emptyReport(),
  close: async () => {},
};

function renderCheck(o: PolicyOptions, drafts: DraftDocument[], obs: Observations, result: CheckResult): string {
  const lines: string[] = [];
  const all = result.targets.map((t) => t.window).filter((w) => w !== undefined);
  const span = all.length
    ? `, ${iso(Math.min(...all.map((w) => w.first)))} to ${iso(Math.max(...all.map((w) => w.last)))}`
    : '';
  lines.push(
    `Checked ${plural(drafts.length, 'draft')} in ${o.draft} against ${plural(obs.records, obs.recordNoun)} from ${o.against.join(', ')}${span}`,
    '',
  );
  for (const t of result.targets) {
    const window = t.window ? ` over ${formatDuration(t.window.last - t.window.first)}` : ', nothing observed';
    const skipped = t.notEvaluated ? ` (${t.notEvaluated} left to the connection they ride on)` : '';
    lines.push(
      `${t.label}: ${plural(t.evaluated, 'distinct flow')} judged${window}${skipped}, ${t.denied.length ? `${t.denied.length} would be denied` : 'none denied'}`,
    );
    for (const d of t.denied) lines.push(...renderDenied(d));
  }
  const expected = result.targets.reduce((n, t) => n + t.denied.filter((d) => !d.benign).length, 0);
  lines.push('');
  if (result.benignDenied)
    lines.push(
      `Result: ${plural(result.benignDenied, 'benign flow')} would be denied; the drafts would break the workload as they are.`,
    );
  else if (result.unobserved.length) lines.push(`Result: nothing observed for ${result.unobserved.join(', ')}.`);
  else
    lines.push(
      `Result: nothing benign would be denied${expected ? ` (${plural(expected, 'denied flow')} ${expected === 1 ? 'belongs' : 'belong'} to a story)` : ''}.`,
    );
  return lines.map((l) => (l ? `${/^ */.exec(l)![0]}${singleLine(l, 2000)}` : l)).join('\n') + '\n';
}

function renderDenied(d: DeniedFlow): string[] {
  const f = d.flow;
  const w = f.workload;
  const times = f.count > 1 ? `${iso(f.first)} to ${iso(f.last)}, ${f.count} times` : iso(f.first);
  const story = d.story
    ? `story ${d.story.id} (${d.story.severity}: ${d.story.title})${d.benign ? ', too low to explain it' : ''}`
    : 'no story: benign traffic the draft would break';
  const where = [
    `${w.namespace}/${w.workloadKind}/${w.workloadName}:${w.container || '(pod)'}`,
    ...(f.process ? [`process ${f.process}`] : []),
    ...(f.pod ? [`pod ${f.pod}`] : []),
    times,
    `seen in ${f.seenIn}`,
  ];
  return [`  DENY ${describeFlow(f)}: ${d.reason}`, `       ${where.join(', ')}`, `       ${story}`];
}

function describeFlow(f: ObservedFlow): string {
  switch (f.kind) {
    case 'connect':
      return `connect ${f.domain ? `${f.domain} ` : ''}${f.ip ?? ''}:${f.port ?? '*'}/${f.protocol ?? 'TCP'}`.replace(
        ' :',
        ':',
      );
    case 'dns':
      return `DNS lookup ${f.domain}`;
    case 'http':
      return `HTTP ${f.method} ${f.domain ?? f.ip}:${f.port ?? '*'}${f.path}`;
    case 'exec':
      return `exec ${f.executable}`;
    case 'syscall':
      return `syscall ${(f.syscalls ?? []).join('/')}`;
  }
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}

function fail(message: string): number {
  process.stderr.write(`causeway: ${message}\n`);
  return 2;
}
