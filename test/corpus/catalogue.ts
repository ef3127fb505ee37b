/** The attack families of the labelled corpus, in the order the quality bench reports them. */
import type { Family } from './families/attack.ts';
import { allowedToolExport, toolDrift } from './families/agentMisuse.ts';
import { imds, saToken } from './families/credentialTheft.ts';
import { saTokenUsed, wiTokenUsed } from './families/cloudCredential.ts';
import { lateAlerts, reverseShell } from './families/podCompromise.ts';
import { miner } from './families/miner.ts';
import { concurrent, ipiExfil, slow } from './families/promptInjection.ts';
import { ipiStdio } from './families/stdio.ts';
import { toolUpdate } from './families/toolUpdate.ts';
import { capabilityEscalation, parameterManipulation, probing } from './families/protocol.ts';

/** Every family, in report order. */
export const FAMILIES: readonly Family[] = [
  ipiExfil,
  ipiStdio,
  toolUpdate,
  reverseShell,
  imds,
  miner,
  saToken,
  allowedToolExport,
  toolDrift,
  concurrent,
  slow,
  lateAlerts,
  wiTokenUsed,
  saTokenUsed,
  probing,
  capabilityEscalation,
  parameterManipulation,
];

/** The family of that name (for QUALITY_FAMILIES and the tests). */
export function family(name: string): Family {
  const f = FAMILIES.find((x) => x.name === name);
  if (!f)
    throw new Error(`a family name is not in the corpus; the families are ${FAMILIES.map((x) => x.name).join(', ')}`);
  return f;
}
