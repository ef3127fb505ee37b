/**
 * `causeway profile export --format networkpolicy|ciliumnetworkpolicy|seccomp --from <source>...`:
 * draft policies from profiles. A source is a Kubescape ApplicationProfile / NetworkNeighborhood
 * file (YAML or JSON) or a tables directory (the latest `CausewayProfiles_CL` snapshot per profile).
 * `--workload [namespace/]name` and `--container` pick profiles; `--out` writes a file.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importKubescape, ProfileImportError } from '../profiles/kubescape.ts';
import { exportPolicies, POLICY_FORMATS, PolicyExportError, type PolicyFormat } from '../profiles/policy.ts';
import { mergeProfiles, type Egress, type Profile } from '../profiles/profile.ts';

export interface ExportOptions {
  format: string;
  from: string[];
  workload?: string;
  container?: string;
  out?: string;
  cluster: string;
}

export function profileExport(o: ExportOptions): number {
  if (!POLICY_FORMATS.includes(o.format as PolicyFormat))
    return fail(`--format must be one of ${POLICY_FORMATS.join(', ')} (got ${JSON.stringify(o.format)})`);
  if (!o.from.length)
    return fail('profile export needs --from <Kubescape profile file or tables directory> (repeatable)');
  try {
    const byId = new Map<string, Profile>();
    for (const source of o.from)
      for (const p of load(source, o.cluster)) byId.set(p.id, byId.has(p.id) ? mergeProfiles(byId.get(p.id)!, p) : p);
    const [ns, name] = o.workload?.includes('/') ? o.workload.split('/', 2) : [undefined, o.workload];
    const chosen = [...byId.values()]
      .filter(
        (p) =>
          (!ns || p.identity.namespace === ns) &&
          (!name || p.identity.workloadName === name) &&
          (!o.container || p.identity.container === o.container),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    if (!chosen.length)
      return fail(
        `no profile matches${o.workload ? ` --workload ${o.workload}` : ''}${o.container ? ` --container ${o.container}` : ''} in ${o.from.join(', ')} (found: ${[...byId.values()].map((p) => `${p.identity.namespace}/${p.identity.workloadName}:${p.identity.container}`).join(', ') || 'none'})`,
      );
    const text = exportPolicies(chosen, o.format as PolicyFormat);
    if (o.out) {
      writeFileSync(o.out, text);
      process.stdout.write(
        `Wrote ${chosen.length} draft ${o.format} ${chosen.length === 1 ? 'policy' : 'policies'} (audit) to ${o.out}\n`,
      );
    } else process.stdout.write(text);
    return 0;
  } catch (e) {
    if (e instanceof ProfileImportError || e instanceof PolicyExportError) return fail(e.message);
    throw e;
  }
}

function fail(message: string): number {
  process.stderr.write(`causeway: ${message}\n`);
  return 2;
}

function load(source: string, cluster: string): Profile[] {
  if (!existsSync(source)) throw new ProfileImportError(`${source} does not exist`);
  if (statSync(source).isDirectory()) return fromTables(source);
  return importKubescape(readFileSync(source, 'utf8'), source, cluster);
}

/** The latest snapshot row per profile in a tables directory. */
function fromTables(dir: string): Profile[] {
  const file = join(dir, 'CausewayProfiles_CL.jsonl');
  if (!existsSync(file))
    throw new ProfileImportError(
      `${file} does not exist: profiles are written by serve/replay once a learning period completes`,
    );
  const latest = new Map<string, Record<string, unknown>>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (row.RecordType !== 'snapshot') continue;
    const prev = latest.get(String(row.ProfileId));
    if (!prev || String(prev.TimeGenerated) <= String(row.TimeGenerated)) latest.set(String(row.ProfileId), row);
  }
  return [...latest.values()].map((r) => ({
    id: String(r.ProfileId),
    identity: {
      cluster: String(r.Cluster ?? ''),
      namespace: String(r.Namespace ?? ''),
      workloadKind: String(r.WorkloadKind ?? ''),
      workloadName: String(r.WorkloadName ?? ''),
      container: String(r.Container ?? ''),
    },
    status: (r.ProfileStatus as Profile['status']) ?? 'complete',
    source: String(r.Source ?? 'learned').split('; '),
    learningEndsAt: r.LearningEndsAt ? Date.parse(String(r.LearningEndsAt)) : undefined,
    observations: 0,
    podLabels: undefined,
    executables: (r.Executables as string[]) ?? [],
    filePaths: (r.FilePaths as string[]) ?? [],
    egress: (r.Egress as Egress[]) ?? [],
    tools: (r.Tools as string[]) ?? [],
    toolTransitions: (r.ToolTransitions as string[]) ?? [],
    syscalls: (r.Syscalls as string[]) ?? [],
  }));
}
