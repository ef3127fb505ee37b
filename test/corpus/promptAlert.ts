/**
 * Defender for AI prompt alerts about an agent turn (reference/defender-formats.md §2): the user
 * security context names the application and, where the app passes them, the end user's address
 * and id (else the pod's address).
 */
import type { Agent } from './agents.ts';
import type { Label } from './labels.ts';
import type { Sim } from './sim.ts';
import type { TurnResult } from './turn.ts';
import { aiEntities, systemAlertId, type DefenderAlertSpec } from './wire/defender.ts';

/** Defender for AI alert types about prompts (reference/defender-formats.md §2.1). */
export const PROMPT_ALERTS = [
  {
    type: 'AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt',
    name: 'A Jailbreak attempt on an Azure AI model deployment was detected by Azure AI Content Safety Prompt Shields',
    severity: 'Medium',
    intent: 'PrivilegeEscalation, DefenseEvasion',
  },
  {
    type: 'AI.Azure_Jailbreak.ContentFiltering.BlockedAttempt',
    name: 'A Jailbreak attempt on an Azure AI model deployment was blocked by Azure AI Content Safety Prompt Shields',
    severity: 'Medium',
    intent: 'PrivilegeEscalation, DefenseEvasion',
  },
  {
    type: 'AI.Azure_CredentialTheftAttempt',
    name: 'Detected credential theft attempts on an Azure AI model deployment',
    severity: 'Medium',
    intent: 'CredentialAccess, LateralMovement, Exfiltration',
  },
  {
    type: 'AI.Azure_ASCIISmuggling',
    name: 'ASCII Smuggling prompt injection detected',
    severity: 'High',
    intent: 'Impact',
  },
] as const;

/**
 * A Defender for AI prompt alert about a turn: the user security context carries the application
 * name and, where the app passes them, the end user's address and id (else the pod's address).
 * Where these land in a real alert is undocumented (defender-formats.md §2.2), so the keys vary.
 */
export function promptAlert(
  sim: Sim,
  a: Agent,
  result: TurnResult,
  label: Label,
  kind: (typeof PROMPT_ALERTS)[number] = sim.rng.pick(PROMPT_ALERTS),
  delayMs?: number,
): void {
  const r = sim.rng;
  const at = result.chatTimes[Math.min(1, result.chatTimes.length - 1)] ?? result.start;
  const ip = result.caller?.ip ?? result.pod.ip;
  const user = result.caller?.user;
  const keys = r.pick([
    { app: 'Application Name', ip: 'Source IP', user: 'End User Id' },
    { app: 'ApplicationName', ip: 'SourceIp', user: 'EndUserId' },
    { app: 'application_name', ip: 'source_ip', user: 'end_user_id' },
  ]);
  const extended: Record<string, string> = {
    [keys.app]: a.name,
    [keys.ip]: ip,
    ...(user ? { [keys.user]: user } : {}),
    'Model deployment': a.model,
    'Suspicious prompt segment': r.pick(['[masked]', 'Prompt evidence is disabled for this resource']),
    resourceType: 'Azure OpenAI',
  };
  const spec: DefenderAlertSpec = {
    alertType: kind.type,
    displayName: kind.name,
    description: `There was 1 attempt of a ${kind.type.split('.')[1]?.replace('Azure_', '')} attack on model deployment ${a.model} on your Azure AI resource ${sim.cluster.openAi.account}.`,
    severity: kind.severity,
    intent: kind.intent,
    start: at,
    generated: at + r.int(2, 9) * 60_000,
    systemAlertId: systemAlertId(r),
    productComponent: 'AI',
    resourceId: sim.cluster.openAi.resourceId,
    compromisedEntity: sim.cluster.openAi.account,
    entities: aiEntities(sim.cluster, { ip, user }),
    extended,
  };
  sim.defender(spec, label, sim.defenderShape(), delayMs);
}
