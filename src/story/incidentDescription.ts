/**
 * The Sentinel incident description (the story rule's alertDetailsOverride): the numbered causal
 * steps with their times, the risk breakdown in one line, what the row budget summarised, and the
 * KQL that pulls the evidence. The rule appends a link to the shipped workbook opened on this
 * StoryId (kql/rules, built where the workbook's id is known). Markdown-safe: our words are plain,
 * every attacker-influenced value is a code span (escape.ts codeValue).
 */
import type { RiskFactor, StorySummary } from '../model/story.ts';
import { codeValue } from './escape.ts';
import { clock, MAX_STEPS, stepLine, type StoryStep } from './storySteps.ts';

/**
 * Characters of the description column. Sentinel keeps 5000 characters of an alert description;
 * the rule's format adds the workbook link (under 1000 characters) after it.
 */
export const DESCRIPTION_MAX = 4000;

/** What the description is made from. */
export interface DescriptionInput {
  storyId: string;
  severity: string;
  riskScore: number;
  breakdown: readonly RiskFactor[];
  firstSeen: number;
  lastSeen: number;
  steps: readonly StoryStep[];
  summary: StorySummary;
}

/** The description (see the module comment), at most DESCRIPTION_MAX characters. */
export function incidentDescription(d: DescriptionInput): string {
  const day = new Date(d.firstSeen).toISOString().slice(0, 10);
  const head = `${d.severity} risk ${d.riskScore}, ${day} ${clock(d.firstSeen)} to ${clock(d.lastSeen)} UTC.`;
  const risk = `Risk ${d.riskScore}: ${d.breakdown.map((f) => `${f.reason} (+${f.points})`).join(', ')}${
    d.breakdown.reduce((n, f) => n + f.points, 0) > d.riskScore ? ', capped at 100' : ''
  }.`;
  const summarised = d.summary.events
    ? [
        `Summarised to fit the row: ${d.summary.events.toLocaleString('en-US')} repeated events in ${d.summary.groups.length} groups, the largest ${codeValue(d.summary.groups[0]?.label ?? '', 80)} (${(d.summary.groups[0]?.count ?? 0).toLocaleString('en-US')} times).`,
      ]
    : [];
  const kql = `Evidence in KQL: \`CausewayEvidence | where StoryId == "${d.storyId}" | order by TimeGenerated asc\``;
  for (let shown = Math.min(d.steps.length, MAX_STEPS); ; shown--) {
    const steps = d.steps.slice(0, shown).map((s) => stepLine(s, (v) => codeValue(v)));
    if (shown < d.steps.length) steps.push(`… ${d.steps.length - shown} more steps in the workbook.`);
    const text = [head, '', 'What happened (UTC):', ...steps, '', risk, ...summarised, '', kql].join('\n');
    if (text.length <= DESCRIPTION_MAX || shown === 0) return text.slice(0, DESCRIPTION_MAX);
  }
}
