/**
 * Risk score 0–100 with its breakdown. Explainable by design: each factor says why it counts.
 */
import type { Signal } from '../model/episode.ts';
import type { Layer, Severity } from '../model/event.ts';
import { SEVERITY_RANK } from '../model/event.ts';
import type { RiskFactor } from '../model/story.ts';

const BASE: Record<Severity, number> = { Informational: 5, Low: 15, Medium: 35, High: 55 };

export interface ScoreInput {
  signals: Signal[];
  layers: Set<Layer>;
  workloads: number;
  hasToolCall: boolean;
  vendors: Set<string>;
  /** A cloud audit event joined through a credential edge: the stolen credential was used. */
  credentialUsed?: boolean;
}

export function riskScore(input: ScoreInput): { score: number; severity: Severity; breakdown: RiskFactor[] } {
  const breakdown: RiskFactor[] = [];
  const top = input.signals.reduce<Severity>(
    (m, s) => (SEVERITY_RANK[s.severity] > SEVERITY_RANK[m] ? s.severity : m),
    'Informational',
  );
  breakdown.push({ factor: 'highest-signal', points: BASE[top], reason: `highest signal severity is ${top}` });
  const highs = new Set(input.signals.filter((s) => s.severity === 'High').map((s) => s.ruleId));
  if (highs.size > 1)
    breakdown.push({
      factor: 'more-high-signals',
      points: Math.min(20, (highs.size - 1) * 10),
      reason: `${highs.size} distinct High rules fired`,
    });
  const credential = input.signals.some((s) => s.tactics.includes('CredentialAccess'));
  const exfil = input.signals.some((s) => s.tactics.includes('Exfiltration'));
  if (credential && exfil)
    breakdown.push({
      factor: 'credential-then-egress',
      points: 15,
      reason: 'credentials were read and data left the cluster',
    });
  if (input.credentialUsed)
    breakdown.push({
      factor: 'credential-used',
      points: 20,
      reason: 'a credential the story read was then used (cloud audit logs)',
    });
  if (input.layers.has('prompt'))
    breakdown.push({ factor: 'prompt-alert', points: 10, reason: 'a prompt-level alert starts the chain' });
  if (input.hasToolCall)
    breakdown.push({ factor: 'agent-tool-call', points: 10, reason: 'an agent tool call caused the activity' });
  if (input.workloads > 1)
    breakdown.push({
      factor: 'cross-workload',
      points: 5,
      reason: `the chain crosses ${input.workloads} workloads through explained links`,
    });
  if (input.vendors.size > 1)
    breakdown.push({
      factor: 'corroborated',
      points: 5,
      reason: `${[...input.vendors].sort().join(' and ')} both saw it`,
    });
  const score = Math.min(
    100,
    breakdown.reduce((n, f) => n + f.points, 0),
  );
  // Chains that end in exfiltration after a prompt attack are High whatever each step said.
  const severity: Severity = score >= 70 ? 'High' : score >= 45 ? maxOf(top, 'Medium') : top;
  return { score, severity, breakdown };
}

function maxOf(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}
