/**
 * `policy check`'s core: every observed flow of the workloads the drafts select, judged by the
 * drafts as if they enforced. A denied flow that belongs to a story (Medium or higher) is what the
 * policy is for; any other denied flow is benign traffic the drafts would break.
 */
import type { Severity } from '../model/event.ts';
import type { DraftDocument } from './draftDocument.ts';
import { egressPolicyOf } from './egressRules.ts';
import { egressVerdict, type AddressBook, type Verdict } from './egressVerdict.ts';
import type { ObservedFlow } from './observedFlow.ts';
import { seccompVerdict } from './seccompVerdict.ts';

export interface StoryInfo {
  severity: Severity;
  title: string;
}

export interface CheckInput {
  drafts: readonly DraftDocument[];
  flows: readonly ObservedFlow[];
  book: AddressBook;
  stories: ReadonlyMap<string, StoryInfo>;
  /** Per `namespace/name`, how long the workload was watched (flows alone miss quiet stretches). */
  windows?: ReadonlyMap<string, Window>;
}

export interface DeniedFlow {
  flow: ObservedFlow;
  reason: string;
  /** No story of Medium or higher severity explains it. */
  benign: boolean;
  story?: StoryInfo & { id: string };
}

export interface Window {
  first: number;
  last: number;
}

/** The drafts that apply to one workload (network), or to one container (seccomp), and what they did. */
export interface TargetResult {
  label: string;
  drafts: readonly DraftDocument[];
  evaluated: number;
  notEvaluated: number;
  denied: DeniedFlow[];
  /** The span of the workload's observations; undefined when there were none. */
  window?: Window;
}

export interface CheckResult {
  targets: TargetResult[];
  benignDenied: number;
  /** Targets with no observations at all: a check over nothing proves nothing. */
  unobserved: string[];
}

const NETWORK_FLOWS = new Set(['connect', 'dns', 'http']);
const PROCESS_FLOWS = new Set(['exec', 'syscall']);

export function checkPolicies(input: CheckInput): CheckResult {
  const targets: TargetResult[] = [];
  const network = new Map<string, DraftDocument[]>();
  for (const d of input.drafts) {
    if (d.kind === 'SeccompProfile') continue;
    const key = `${d.namespace}/${d.workloadName}`;
    network.set(key, [...(network.get(key) ?? []), d]);
  }
  for (const [key, drafts] of network) {
    const policies = drafts.map(egressPolicyOf);
    const of = ofWorkload(input.flows, drafts[0]!);
    targets.push(
      judge(
        `${drafts
          .map((d) => d.kind)
          .filter(unique)
          .join(' + ')} for ${key}`,
        drafts,
        of,
        input,
        (f) => (NETWORK_FLOWS.has(f.kind) ? egressVerdict(policies, f, input.book) : undefined),
      ),
    );
  }
  for (const d of input.drafts.filter((x) => x.kind === 'SeccompProfile')) {
    const of = ofWorkload(input.flows, d).filter((f) => !d.container || f.workload.container === d.container);
    targets.push(
      judge(
        `SeccompProfile ${d.name} for ${d.namespace}/${d.workloadName}:${d.container ?? '*'}`,
        [d],
        of,
        input,
        (f) => (PROCESS_FLOWS.has(f.kind) ? seccompVerdict(d, f) : undefined),
      ),
    );
  }
  return {
    targets,
    benignDenied: targets.reduce((n, t) => n + t.denied.filter((x) => x.benign).length, 0),
    unobserved: targets.filter((t) => !t.window).map((t) => t.label),
  };
}

function ofWorkload(flows: readonly ObservedFlow[], d: DraftDocument): ObservedFlow[] {
  return flows.filter((f) => f.workload.namespace === d.namespace && f.workload.workloadName === d.workloadName);
}

function judge(
  label: string,
  drafts: readonly DraftDocument[],
  flows: readonly ObservedFlow[],
  input: CheckInput,
  verdictOf: (f: ObservedFlow) => Verdict | undefined,
): TargetResult {
  const d = drafts[0]!;
  const watched = input.windows?.get(`${d.namespace}/${d.workloadName}`);
  const window = union(watched, windowOf(flows));
  const result: TargetResult = { label, drafts, evaluated: 0, notEvaluated: 0, denied: [], window };
  for (const flow of flows) {
    const v = verdictOf(flow);
    if (!v) continue;
    if (v.outcome === 'not-evaluated') {
      result.notEvaluated++;
      continue;
    }
    result.evaluated++;
    if (v.outcome === 'allow') continue;
    const info = flow.storyId ? input.stories.get(flow.storyId) : undefined;
    const story = flow.storyId && info ? { id: flow.storyId, ...info } : undefined;
    const explained = !!story && (story.severity === 'Medium' || story.severity === 'High');
    result.denied.push({ flow, reason: v.reason, benign: !explained, story });
  }
  result.denied.sort((a, b) => a.flow.first - b.flow.first || a.reason.localeCompare(b.reason));
  return result;
}

export function windowOf(flows: readonly ObservedFlow[]): Window | undefined {
  if (!flows.length) return undefined;
  let first = Infinity;
  let last = -Infinity;
  for (const f of flows) {
    if (f.first < first) first = f.first;
    if (f.last > last) last = f.last;
  }
  return { first, last };
}

function union(a: Window | undefined, b: Window | undefined): Window | undefined {
  if (!a || !b) return a ?? b;
  return { first: Math.min(a.first, b.first), last: Math.max(a.last, b.last) };
}

function unique<T>(x: T, i: number, all: readonly T[]): boolean {
  return all.indexOf(x) === i;
}
