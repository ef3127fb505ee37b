/** MITRE ATT&CK tactics as Sentinel names them (PascalCase, no spaces), from any spelling. */
const TACTIC_BY_ID: Record<string, string> = {
  TA0043: 'Reconnaissance',
  TA0042: 'ResourceDevelopment',
  TA0001: 'InitialAccess',
  TA0002: 'Execution',
  TA0003: 'Persistence',
  TA0004: 'PrivilegeEscalation',
  TA0005: 'DefenseEvasion',
  TA0006: 'CredentialAccess',
  TA0007: 'Discovery',
  TA0008: 'LateralMovement',
  TA0009: 'Collection',
  TA0011: 'CommandAndControl',
  TA0010: 'Exfiltration',
  TA0040: 'Impact',
};

/** Sentinel's allowed tactic names (reference/sentinel-content.md §1.1). */
export const SENTINEL_TACTICS = [
  'Reconnaissance',
  'ResourceDevelopment',
  'InitialAccess',
  'Execution',
  'Persistence',
  'PrivilegeEscalation',
  'DefenseEvasion',
  'CredentialAccess',
  'Discovery',
  'LateralMovement',
  'Collection',
  'Exfiltration',
  'CommandAndControl',
  'Impact',
  'PreAttack',
  'ImpairProcessControl',
  'InhibitResponseFunction',
] as const;

const BY_KEY = new Map<string, string>(SENTINEL_TACTICS.map((t) => [t.toLowerCase(), t]));
BY_KEY.set('commandcontrol', 'CommandAndControl');
BY_KEY.set('c2', 'CommandAndControl');
BY_KEY.set('credentialaccess', 'CredentialAccess');

/**
 * `TA0006`, `Credential Access`, `mitre_credential_access`, `credentialaccess`, `Impact (Defacement)`
 * → `CredentialAccess` / `Impact`. Unknown values (Defender's `Unknown`, `Probing`) → undefined.
 */
export function normaliseTactic(value: string): string | undefined {
  const v = value.trim();
  if (TACTIC_BY_ID[v.toUpperCase()]) return TACTIC_BY_ID[v.toUpperCase()];
  const key = v
    .replace(/^mitre_/i, '')
    .replace(/\(.*\)/, '')
    .replace(/[\s_&-]+/g, '')
    .toLowerCase();
  return BY_KEY.get(key);
}

/** Splits comma/semicolon lists and JSON-string arrays (Defender) and normalises each tactic. */
export function normaliseTactics(value: unknown): string[] {
  const items = listOf(value);
  return [...new Set(items.map(normaliseTactic).filter((t): t is string => !!t))];
}

/** `T1059`, `T1059.001`, `Valid Accounts (T1078)` → technique ids. */
export function normaliseTechniques(value: unknown): string[] {
  const out = new Set<string>();
  for (const item of listOf(value))
    for (const m of item.matchAll(/\bT\d{4}(?:\.\d{3})?\b/gi)) out.add(m[0].toUpperCase());
  return [...out];
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value !== 'string' || value.trim() === '') return [];
  const t = value.trim();
  if (t.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(t);
      if (Array.isArray(parsed)) return parsed.filter((v): v is string => typeof v === 'string');
    } catch {
      /* fall through to splitting */
    }
  }
  return t
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
