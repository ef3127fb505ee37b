/** Defender for AI alert types in analyst words (reference/defender-alert-types.json). */

/** `AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt` → `Prompt injection`, and so on. */
export function promptWords(type: string): string {
  if (/Jailbreak/i.test(type)) return /Blocked/i.test(type) ? 'Blocked prompt injection' : 'Prompt injection';
  if (/ASCIISmuggling/i.test(type)) return 'ASCII-smuggling prompt injection';
  if (/CredentialTheft/i.test(type)) return 'Credential-theft prompt';
  if (/InstructionLeakage/i.test(type)) return 'Instruction leak';
  if (/MaliciousUrl/i.test(type)) return 'Phishing URL';
  if (/Reconnaissance/i.test(type)) return 'LLM reconnaissance';
  if (/AnomalousToolInvocation/i.test(type)) return 'Anomalous tool invocation';
  if (/DOW/.test(type)) return 'Wallet attack';
  if (/AccessFrom|AccessAnomaly/i.test(type)) return 'Suspicious access';
  return 'Defender for AI alert';
}
