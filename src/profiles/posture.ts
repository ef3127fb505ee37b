/**
 * Declared vs observed permissions of workload identities: the role assignments an identity holds
 * (`az role assignment list --assignee <clientId> --all -o json`) set against what the cloud audit
 * logs saw it do (cloudUsage.ts profiles, from the CausewayProfiles_CL `cloud-usage` rows). The result
 * is a proposal for a person to review: which assignments were used and on what, which were not, and
 * which could be narrowed to the resources actually used. Nothing here changes anything.
 *
 * What Causeway can see limits what it can judge: Key Vault operations (AuditEvent) and sign-ins (the
 * token audiences requested). An assignment is `used` when an observed operation it covers succeeded
 * under its scope (Key Vault data-plane roles: secret, key and certificate operations; Owner,
 * Contributor, Reader: the vault's management operations); `unused` when Causeway observes all the
 * role grants and nothing succeeded under the scope, or when the role needs a token for an audience
 * the identity never requested; `not-observed` otherwise (its operations are in no input: most of
 * Resource Manager, Storage, other services, custom roles).
 */
import type { CloudIdentityUsage, CloudUse } from './cloudUsage.ts';

/** One element of `az role assignment list -o json`, the fields read. */
export interface RoleAssignment {
  principalId: string;
  principalName?: string;
  principalType?: string;
  roleDefinitionName: string;
  scope: string;
}

/** A bad role-assignments file: says which element and field, and what the file should be. */
export class RoleAssignmentsError extends Error {
  override name = 'RoleAssignmentsError';
}

/** Token audiences (Entra application ids of the resources) whose sign-ins show a data plane was reached. */
const AUDIENCE = {
  keyVault: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
  storage: 'e406a681-f3d4-42a8-90b6-c2b029497af1',
  resourceManager: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
} as const;

interface RoleFacts {
  /** Which observed operations the role's permissions cover, when Causeway can tell. */
  covers?: (u: CloudUse) => boolean;
  /** The token audience the role's operations need. */
  audience?: string;
  /** Whether Causeway observes every operation the role grants (Key Vault data plane: AuditEvent). */
  observed: boolean;
}

const KEY_VAULT = '/providers/microsoft.keyvault/vaults/';
/** Key Vault data-plane operations (secrets, keys, certificates) vs the vault's management through Resource Manager. */
const keyVaultData = (u: CloudUse) =>
  !!u.resourceId?.includes(KEY_VAULT) && /^(Secret|Key|Certificate)/.test(u.operation);
const keyVaultManagement = (u: CloudUse) => !!u.resourceId?.includes(KEY_VAULT) && /^Vault/.test(u.operation);

/** Built-in roles by name (data-plane roles are named after their service); other roles are not judged. */
function roleFacts(role: string): RoleFacts {
  if (/^Key Vault /i.test(role)) return { covers: keyVaultData, audience: AUDIENCE.keyVault, observed: true };
  if (/^Storage (Blob|Queue|Table|File) Data /i.test(role)) return { audience: AUDIENCE.storage, observed: false };
  if (/^(Owner|Contributor|Reader)$/i.test(role))
    return { covers: keyVaultManagement, audience: AUDIENCE.resourceManager, observed: false };
  return { observed: false };
}

export type Verdict = 'used' | 'unused' | 'not-observed';

/** One held assignment, judged. */
export interface AssignmentPosture {
  role: string;
  scope: string;
  verdict: Verdict;
  /** Observed operations under the scope: `SecretGet ×12 on …/vaults/kv-a (last …)`. */
  evidence: string[];
  /** What a reviewer might do: keep, remove, or narrow the scope to the resources used. */
  proposal: { action: 'keep' | 'remove' | 'narrow' | 'review'; narrowTo?: string[]; why: string };
}

/** One workload identity: what it holds, what it was seen doing. */
export interface IdentityPosture {
  principalId: string;
  appId?: string;
  name?: string;
  observed?: { events: number; firstSeen: string; lastSeen: string; uses: CloudUse[] };
  assignments: AssignmentPosture[];
  /** Azure resources it was seen using that no assignment in the file covers (access policies, group roles). */
  uncovered: string[];
}

/** Parses an `az role assignment list -o json` export (an array), naming the element and field at fault. */
export function parseRoleAssignments(text: string, file: string): RoleAssignment[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RoleAssignmentsError(
      `${file} is not JSON; export it with az role assignment list --assignee <clientId> --all -o json`,
    );
  }
  if (!Array.isArray(value))
    throw new RoleAssignmentsError(
      `${file} holds a JSON ${typeof value}, not the array az role assignment list -o json writes`,
    );
  return value.map((v, i) => {
    const o = (v ?? {}) as Record<string, unknown>;
    for (const field of ['principalId', 'roleDefinitionName', 'scope'])
      if (typeof o[field] !== 'string' || o[field] === '')
        throw new RoleAssignmentsError(
          `${file}: element ${i} has no ${field} string; each element must be a role assignment as az role assignment list -o json writes it`,
        );
    return {
      principalId: String(o.principalId).toLowerCase(),
      principalName: typeof o.principalName === 'string' ? o.principalName.toLowerCase() : undefined,
      principalType: typeof o.principalType === 'string' ? o.principalType : undefined,
      roleDefinitionName: String(o.roleDefinitionName),
      scope: String(o.scope),
    };
  });
}

/** Is `resourceId` the scope or below it? (ARM ids are case-insensitive.) */
export function underScope(resourceId: string, scope: string): boolean {
  const r = resourceId.toLowerCase();
  const s = scope.toLowerCase().replace(/\/+$/, '');
  return s === '' || s === '/' || r === s || r.startsWith(s + '/');
}

/** Uses inside `[since, until]`: a use counts when it was last seen inside the window. */
function inWindow(u: CloudUse, since?: number): boolean {
  return since === undefined || u.lastSeen >= since;
}

/**
 * Judges every identity in the assignments file against the usage profiles found for it. `since`
 * (epoch ms) limits the observed window; usage times are epoch ms.
 */
export function posture(
  assignments: readonly RoleAssignment[],
  usages: readonly CloudIdentityUsage[],
  since?: number,
): IdentityPosture[] {
  const byPrincipal = new Map<string, RoleAssignment[]>();
  for (const a of assignments) byPrincipal.set(a.principalId, [...(byPrincipal.get(a.principalId) ?? []), a]);
  return [...byPrincipal].map(([principalId, held]) => {
    const names = new Set(held.map((a) => a.principalName).filter((n): n is string => !!n));
    const usage = usages.find(
      (u) => u.kind === 'workload-identity' && (u.principalId === principalId || (u.appId && names.has(u.appId))),
    );
    const uses = Object.values(usage?.uses ?? {}).filter((u) => inWindow(u, since));
    const judged = held.map((a) => judge(a, uses));
    const covered = (id: string) => held.some((a) => underScope(id, a.scope));
    return {
      principalId,
      appId: usage?.appId,
      name: usage?.principal,
      observed: usage
        ? {
            events: uses.reduce((n, u) => n + u.count, 0),
            firstSeen: new Date(
              uses.length ? Math.min(...uses.map((u) => u.firstSeen)) : usage.firstSeen,
            ).toISOString(),
            lastSeen: new Date(uses.length ? Math.max(...uses.map((u) => u.lastSeen)) : usage.lastSeen).toISOString(),
            uses,
          }
        : undefined,
      assignments: judged,
      uncovered: [...new Set(uses.map((u) => u.resourceId).filter((id): id is string => !!id && !covered(id)))].sort(),
    };
  });
}

function judge(a: RoleAssignment, uses: readonly CloudUse[]): AssignmentPosture {
  const facts = roleFacts(a.roleDefinitionName);
  const attempted = uses.filter(
    (u) => u.resourceId !== undefined && underScope(u.resourceId, a.scope) && !!facts.covers?.(u),
  );
  // An operation that was refused every time used no permission (it shows one missing).
  const under = attempted.filter((u) => u.count > u.failures);
  const refused = attempted.filter((u) => u.count === u.failures);
  const tokens = facts.audience
    ? uses.filter((u) => u.operation === 'sign-in' && u.resourceAppId === facts.audience)
    : [];
  const base = { role: a.roleDefinitionName, scope: a.scope };
  if (under.length) {
    const resources = [...new Set(under.map((u) => u.resourceId!))].sort();
    const exact = resources.length === 1 && resources[0] === a.scope.toLowerCase();
    return {
      ...base,
      verdict: 'used',
      evidence: under.map(describeUse),
      proposal:
        !exact && resources.length <= 10
          ? {
              action: 'narrow',
              narrowTo: resources,
              why: `only ${resources.length === 1 ? 'this resource was' : `these ${resources.length} resources were`} used under the scope`,
            }
          : { action: 'keep', why: 'used on the resource it is scoped to' },
    };
  }
  if (facts.observed)
    return {
      ...base,
      verdict: 'unused',
      evidence: [...refused, ...tokens].map(describeUse),
      proposal: {
        action: 'remove',
        why: refused.length
          ? 'the only operations under this scope were refused'
          : tokens.length
            ? 'tokens for the service were requested, but no operation under this scope was observed'
            : 'no operation under this scope was observed',
      },
    };
  if (facts.audience && !tokens.length)
    return {
      ...base,
      verdict: 'unused',
      evidence: [],
      proposal: {
        action: 'remove',
        why: 'the identity never requested a token for the service this role grants access to (judge over days: managed identity tokens are cached for up to 24 hours)',
      },
    };
  return {
    ...base,
    verdict: 'not-observed',
    evidence: tokens.map(describeUse),
    proposal: {
      action: 'review',
      why: 'Causeway does not observe this role’s operations (its inputs are Key Vault audit logs and sign-ins); check the service’s own logs',
    },
  };
}

function describeUse(u: CloudUse): string {
  const target = u.resourceId ?? u.resourceAppId ?? u.resource ?? '';
  const what =
    u.operation === 'sign-in'
      ? `sign-in to ${u.resource ?? u.resourceAppId ?? 'a resource'}`
      : `${u.operation}${target ? ` on ${target}` : ''}`;
  return `${what} ×${u.count}${u.failures ? ` (${u.failures} failed)` : ''}, last ${new Date(u.lastSeen).toISOString()}`;
}
