/**
 * Declared vs observed through the CLI: the cloud fixtures replayed into tables, then `causeway
 * posture` with role assignment exports (test/fixtures/role-assignments). Expected verdicts come from
 * the fixtures: which vault each identity used, what it was refused, which tokens it asked for.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { parseRoleAssignments, posture, underScope, type IdentityPosture } from '../../../src/profiles/posture.ts';
import { fixturePath } from '../../helpers/fixtures.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await main(args, { CAUSEWAY_CLUSTER: 'aks-demo', CAUSEWAY_LOG_LEVEL: 'error' }), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const SUB = '/subscriptions/0b7e1a52-6c1d-4f0a-9e3b-2d5c8a71f004';
const VAULT = `${SUB}/resourcegroups/rg-agents/providers/microsoft.keyvault/vaults/kv-agents-prod`;

describe('causeway posture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-posture-'));
  const tables = join(dir, 'tables');
  const roles = ['id-research-agent.json', 'app-travel-agent.json'].map((f) => fixturePath(`role-assignments/${f}`));
  let identities: IdentityPosture[];

  beforeAll(async () => {
    const files = ['aks-kube-audit.json', 'entra-signins.json', 'keyvault-audit.json'].map((f) =>
      fixturePath(`cloud/${f}`),
    );
    expect((await cli(['replay', ...files, '--out', tables])).code).toBe(0);
    const args = ['posture', '--from', tables, '--json', ...roles.flatMap((r) => ['--role-assignments', r])];
    const { code, out } = await cli(args);
    expect(code).toBe(0);
    identities = (JSON.parse(out) as { identities: IdentityPosture[] }).identities;
  });

  const held = (principal: string, role: string) =>
    identities.find((i) => i.principalId === principal)!.assignments.find((a) => a.role === role)!;
  const mi = '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a';
  const sp = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';

  it('finds each identity’s observed usage by object id, with its name and client id', () => {
    expect(identities.map((i) => [i.principalId, i.name, i.appId])).toEqual([
      [mi, 'id-research-agent', '3f2e1d0c-9b8a-4765-8432-10fedcba9876'],
      [sp, 'app-travel-agent', '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'],
    ]);
  });

  it('proposes narrowing a resource-group Key Vault role to the one vault used, with the operations as evidence', () => {
    const a = held(mi, 'Key Vault Secrets User');
    expect(a.verdict).toBe('used');
    expect(a.proposal).toMatchObject({ action: 'narrow', narrowTo: [VAULT] });
    expect(a.evidence.join('\n')).toMatch(/SecretGet on .*kv-agents-prod ×1/);
  });

  it('flags roles on resources never used, and a data-plane role whose service was never asked for a token', () => {
    expect(held(mi, 'Key Vault Crypto User')).toMatchObject({ verdict: 'unused', proposal: { action: 'remove' } });
    expect(held(mi, 'Storage Blob Data Reader')).toMatchObject({ verdict: 'unused', proposal: { action: 'remove' } });
    expect(held(mi, 'Storage Blob Data Reader').proposal.why).toMatch(/never requested a token/);
    expect(held(mi, 'Reader').verdict).toBe('unused');
  });

  it('does not count a refused operation as use, and says it was refused', () => {
    const a = held(sp, 'Key Vault Crypto User');
    expect(a).toMatchObject({
      verdict: 'unused',
      proposal: { action: 'remove', why: 'the only operations under this scope were refused' },
    });
    expect(a.evidence.join('\n')).toMatch(/KeyDecrypt on .*kv-agents-prod ×1 \(1 failed\)/);
    expect(held(sp, 'Key Vault Secrets Officer').verdict).toBe('unused');
  });

  it('prints the same as text for a reviewer, and never applies anything', async () => {
    const { code, out } = await cli(['posture', '--from', tables, '--role-assignments', roles[0]!]);
    expect(code).toBe(0);
    expect(out).toMatch(/A proposal for a person to review: nothing is changed\./);
    expect(out).toMatch(/Workload identity id-research-agent \(object id 8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a/);
    expect(out).toMatch(
      /\[USED\] Key Vault Secrets User @ .*rg-agents\n(\s+SecretGet|\s+SecretList).*\n.*\n\s+proposal: narrow to .*kv-agents-prod/,
    );
    expect(out).toMatch(/\[UNUSED\] Storage Blob Data Reader/);
  });

  it('refuses a file that is not a role assignment export, naming the element and field', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ principalId: mi, scope: SUB }]));
    const { code, err } = await cli(['posture', '--from', tables, '--role-assignments', bad]);
    expect(code).toBe(2);
    expect(err).toMatch(/element 0 has no roleDefinitionName string/);
    expect((await cli(['posture', '--from', tables])).err).toMatch(/posture needs --role-assignments/);
  });

  it('limits the window with --since: uses last seen before it are not counted', () => {
    const assignments = parseRoleAssignments(
      JSON.stringify([{ principalId: mi, roleDefinitionName: 'Key Vault Secrets User', scope: VAULT }]),
      'inline',
    );
    const usage = {
      key: 'entra:x',
      kind: 'workload-identity' as const,
      principal: 'id',
      principalType: 'managed-identity',
      principalId: mi,
      sources: [],
      uses: {
        a: { operation: 'SecretGet', resourceId: VAULT, count: 2, failures: 0, firstSeen: 1000, lastSeen: 2000 },
      },
      events: 2,
      firstSeen: 1000,
      lastSeen: 2000,
    };
    expect(posture(assignments, [usage])[0]!.assignments[0]!.verdict).toBe('used');
    expect(posture(assignments, [usage], 5000)[0]!.assignments[0]!.verdict).toBe('unused');
  });

  it('matches scopes on whole path segments, case-insensitively', () => {
    expect(underScope(VAULT, `${SUB}/resourceGroups/RG-AGENTS`)).toBe(true);
    expect(underScope(VAULT, `${SUB}/resourceGroups/rg-age`)).toBe(false);
    expect(underScope(VAULT, VAULT.toUpperCase())).toBe(true);
  });
});
