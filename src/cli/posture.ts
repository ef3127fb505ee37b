/**
 * `causeway posture --role-assignments <file>... --from <tables dir> [--since 7d|<ISO time>] [--json]`:
 * per workload identity, the role assignments it holds against what the cloud audit logs saw it do
 * (the latest `cloud-usage` row of each identity in CausewayProfiles_CL), with the unused scopes
 * flagged and narrower scopes proposed. A proposal to review; nothing is applied.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { CloudIdentityUsage, CloudUse } from '../profiles/cloudUsage.ts';
import { formatDuration, parseDuration } from '../profiles/graduate.ts';
import {
  parseRoleAssignments,
  posture,
  RoleAssignmentsError,
  type IdentityPosture,
  type RoleAssignment,
} from '../profiles/posture.ts';
import type { Row } from '../sinks/tables.ts';
import { singleLine } from '../story/escape.ts';
import { readTableRows } from './tableFiles.ts';

export interface PostureOptions {
  roleAssignments: string[];
  from?: string;
  since?: string;
  json: boolean;
}

export function postureCommand(o: PostureOptions): number {
  if (!o.roleAssignments.length)
    return fail(
      'posture needs --role-assignments <file> (az role assignment list --assignee <clientId> --all -o json), repeatable',
    );
  if (!o.from)
    return fail('posture needs --from <tables directory> (the --out of replay, or <data-dir>/tables of serve)');
  if (!existsSync(o.from) || !statSync(o.from).isDirectory())
    return fail(`--from ${o.from}: not a directory; name a tables directory`);
  let assignments: RoleAssignment[];
  try {
    assignments = o.roleAssignments.flatMap((file) => {
      if (!existsSync(file)) throw new RoleAssignmentsError(`${file} does not exist`);
      return parseRoleAssignments(readFileSync(file, 'utf8'), file);
    });
  } catch (e) {
    if (e instanceof RoleAssignmentsError) return fail(e.message);
    throw e;
  }
  const usages = latestUsages(readTableRows(o.from, 'CausewayProfiles_CL'));
  const newest = Math.max(0, ...usages.map((u) => u.lastSeen));
  let since: number | undefined;
  if (o.since) {
    const span = parseDuration(o.since);
    since = span !== undefined ? newest - span : Date.parse(o.since);
    if (!Number.isFinite(since))
      return fail('--since takes a duration back from the newest observation (7d, 36h, 90m) or an ISO time');
  }
  const result = posture(assignments, usages, since);
  if (o.json)
    process.stdout.write(
      JSON.stringify({ since: since && new Date(since).toISOString(), identities: result }, null, 2) + '\n',
    );
  else process.stdout.write(render(result, usages.length, since, newest));
  return 0;
}

/** The latest `cloud-usage` row of each identity, back in the profile's own shape (times in epoch ms). */
export function latestUsages(rows: readonly Row[]): CloudIdentityUsage[] {
  const latest = new Map<string, Row>();
  for (const r of rows) {
    if (r.RecordType !== 'cloud-usage' || typeof r.ProfileId !== 'string') continue;
    const known = latest.get(r.ProfileId);
    if (!known || String(r.TimeGenerated) > String(known.TimeGenerated)) latest.set(r.ProfileId, r);
  }
  return [...latest.values()].map((r) => {
    const uses = ((r.CloudUsage as Record<string, unknown>[] | null) ?? []).map((u): CloudUse => ({
      ...(u as unknown as CloudUse),
      firstSeen: Date.parse(String(u.firstSeen)),
      lastSeen: Date.parse(String(u.lastSeen)),
    }));
    const coverage = (r.Coverage ?? {}) as { Events?: number; FirstEvent?: string; LastEvent?: string };
    return {
      key: String(r.ProfileId),
      kind: r.WorkloadKind === 'ServiceAccount' ? 'service-account' : 'workload-identity',
      principal: String(r.Principal ?? ''),
      principalType: '',
      principalId: typeof r.PrincipalId === 'string' ? r.PrincipalId : undefined,
      appId: typeof r.AppId === 'string' ? r.AppId : undefined,
      sources: String(r.Source ?? '')
        .split('; ')
        .filter(Boolean),
      uses: Object.fromEntries(uses.map((u, i) => [String(i), u])),
      events: coverage.Events ?? 0,
      firstSeen: Date.parse(coverage.FirstEvent ?? '') || 0,
      lastSeen: Date.parse(coverage.LastEvent ?? '') || 0,
    };
  });
}

const MARK: Record<string, string> = { used: 'USED', unused: 'UNUSED', 'not-observed': 'NOT OBSERVED' };

function render(identities: IdentityPosture[], profiles: number, since: number | undefined, newest: number): string {
  const lines: string[] = [];
  const window =
    since !== undefined
      ? `${new Date(since).toISOString()} to ${new Date(newest).toISOString()} (${formatDuration(newest - since)})`
      : 'everything in the tables';
  lines.push(
    `Declared vs observed permissions (${profiles} usage ${profiles === 1 ? 'profile' : 'profiles'} read; window: ${window}).`,
  );
  lines.push('A proposal for a person to review: nothing is changed.');
  for (const id of identities) {
    lines.push('');
    lines.push(
      `Workload identity ${clean(id.name ?? id.principalId)} (object id ${clean(id.principalId)}${id.appId ? `, client id ${clean(id.appId)}` : ''})`,
    );
    if (!id.observed)
      lines.push('  not seen in the cloud audit logs of these tables: every assignment below is unobserved');
    else
      lines.push(
        `  observed ${id.observed.events} operations and sign-ins, ${id.observed.firstSeen} to ${id.observed.lastSeen}`,
      );
    for (const a of id.assignments) {
      lines.push(`  [${MARK[a.verdict]}] ${clean(a.role)} @ ${clean(a.scope)}`);
      for (const e of a.evidence.slice(0, 5)) lines.push(`      ${clean(e)}`);
      if (a.evidence.length > 5) lines.push(`      … and ${a.evidence.length - 5} more`);
      const p = a.proposal;
      lines.push(
        `      proposal: ${p.action}${p.narrowTo ? ` to ${p.narrowTo.map(clean).join(', ')}` : ''} (${p.why})`,
      );
    }
    for (const r of id.uncovered)
      lines.push(`  used without an assignment in the file (access policy or group role?): ${clean(r)}`);
  }
  return lines.join('\n') + '\n';
}

/** Log values are attacker-influenced: one line each, no control characters reach the terminal. */
const clean = (s: string): string => singleLine(s, 500);

function fail(message: string): number {
  process.stderr.write(`causeway: ${message}\n`);
  return 2;
}
