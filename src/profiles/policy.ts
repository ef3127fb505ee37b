/**
 * Draft enforcement from profiles (DESIGN §4: observe → baseline → enforce): a Kubernetes
 * NetworkPolicy, a CiliumNetworkPolicy (with `toFQDNs` and L7 HTTP rules) or a Security Profiles
 * Operator SeccompProfile per workload container. Each allows exactly what the profile holds, as
 * strict as the workload's class asks, and is marked as an audit draft with its evidence; nothing
 * here is applied. Many profiles make one multi-document YAML that starts with a summary comment.
 */
import { stringify } from 'yaml';
import { ciliumPolicyDraft } from './ciliumPolicyDraft.ts';
import { describeProfile } from './draftMetadata.ts';
import { exportSummary } from './exportSummary.ts';
import { networkPolicyDraft, type DraftNotes } from './networkPolicyDraft.ts';
import type { Profile } from './profile.ts';
import { classOf, type ProfileClass, type ResolvedClass } from './profileClass.ts';
import { NothingToDraft, seccompDraft } from './seccompDraft.ts';

export type PolicyFormat = 'networkpolicy' | 'ciliumnetworkpolicy' | 'seccomp';
export const POLICY_FORMATS: readonly PolicyFormat[] = ['networkpolicy', 'ciliumnetworkpolicy', 'seccomp'];

export class PolicyExportError extends Error {
  override name = 'PolicyExportError';
}

export interface ExportPoliciesOptions {
  /** `profiles.classes`: class per `namespace/name` pattern. */
  classes?: Readonly<Record<string, ProfileClass>>;
  /** Where the profiles came from, for the summary. */
  sources?: readonly string[];
}

/** One drafted profile, or the reason it could not be drafted. */
export interface DraftOutcome {
  profile: Profile;
  profileClass: ResolvedClass;
  doc?: Record<string, unknown>;
  notes: DraftNotes;
  skipped?: string;
}

export interface ExportResult {
  /** The summary comment and one YAML document per drafted profile. */
  text: string;
  outcomes: DraftOutcome[];
}

/** Drafts for every profile: one document each, those that cannot be drafted listed in the summary. */
export function exportPolicies(
  profiles: readonly Profile[],
  format: PolicyFormat,
  options: ExportPoliciesOptions = {},
): ExportResult {
  const outcomes = [...profiles]
    .sort((a, b) => describeProfile(a).localeCompare(describeProfile(b)) || (a.id < b.id ? -1 : 1))
    .map((p) => draftOutcome(p, format, options.classes));
  const docs = outcomes
    .filter((o) => o.doc)
    .map((o) => stringify(o.doc, { lineWidth: 0, sortMapEntries: false }))
    .join('---\n');
  const summary = exportSummary(outcomes, format, options.sources ?? []);
  return { text: `${summary}${docs}`, outcomes };
}

/** The draft of one profile; throws PolicyExportError when it cannot be drafted. */
export function policyFor(
  profile: Profile,
  format: PolicyFormat,
  classes?: Readonly<Record<string, ProfileClass>>,
): Record<string, unknown> {
  const o = draftOutcome(profile, format, classes);
  if (!o.doc) throw new PolicyExportError(o.skipped!);
  return o.doc;
}

function draftOutcome(
  profile: Profile,
  format: PolicyFormat,
  classes: Readonly<Record<string, ProfileClass>> | undefined,
): DraftOutcome {
  const profileClass = classOf(profile, classes);
  try {
    const { doc, notes } =
      format === 'seccomp'
        ? seccompDraft(profile, profileClass)
        : format === 'networkpolicy'
          ? networkPolicyDraft(profile, profileClass)
          : ciliumPolicyDraft(profile, profileClass);
    return { profile, profileClass, doc, notes };
  } catch (e) {
    if (!(e instanceof NothingToDraft)) throw e;
    return { profile, profileClass, notes: { notExpressible: [], refused: [] }, skipped: e.message };
  }
}
