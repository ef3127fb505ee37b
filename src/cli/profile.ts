/**
 * `causeway profile export --format networkpolicy|ciliumnetworkpolicy|seccomp --from <source>...`:
 * draft policies from profiles. A source is a Kubescape ApplicationProfile / NetworkNeighborhood
 * file (YAML or JSON) or a tables directory (the latest `CausewayProfiles_CL` snapshot per profile).
 * Without `--workload`, every profile gets a draft in one multi-document YAML that starts with a
 * summary; `--workload [namespace/]name` and `--container` pick profiles; `--out` writes a file.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeProfile } from '../profiles/draftMetadata.ts';
import { importKubescape, ProfileImportError } from '../profiles/kubescape.ts';
import { exportPolicies, POLICY_FORMATS, PolicyExportError, type PolicyFormat } from '../profiles/policy.ts';
import { mergeProfiles, type Profile } from '../profiles/profile.ts';
import type { ProfileClass } from '../profiles/profileClass.ts';
import { profilesFromRows } from '../profiles/profileRows.ts';
import { readTableRows } from './tableFiles.ts';

export interface ExportOptions {
  format: string;
  from: string[];
  workload?: string;
  container?: string;
  out?: string;
  cluster: string;
  /** `profiles.classes` from the configuration. */
  classes?: Readonly<Record<string, ProfileClass>>;
}

export function profileExport(o: ExportOptions): number {
  if (!POLICY_FORMATS.includes(o.format as PolicyFormat))
    return fail(`--format must be one of ${POLICY_FORMATS.join(', ')} (got ${JSON.stringify(o.format)})`);
  if (!o.from.length)
    return fail('profile export needs --from <Kubescape profile file or tables directory> (repeatable)');
  try {
    const found = loadProfiles(o.from, o.cluster);
    const [ns, name] = o.workload?.includes('/') ? o.workload.split('/', 2) : [undefined, o.workload];
    const chosen = found.filter(
      (p) =>
        (!ns || p.identity.namespace === ns) &&
        (!name || p.identity.workloadName === name) &&
        (!o.container || p.identity.container === o.container),
    );
    if (!chosen.length) {
      const asked = [o.workload && `--workload ${o.workload}`, o.container && `--container ${o.container}`];
      const names = found.map((p) => `${p.identity.namespace}/${p.identity.workloadName}:${p.identity.container}`);
      const filters = asked.filter(Boolean).join(' ');
      return fail(
        `no profile matches${filters ? ` ${filters}` : ''} in ${o.from.join(', ')} (found: ${names.join(', ') || 'none'})`,
      );
    }
    const result = exportPolicies(chosen, o.format as PolicyFormat, { classes: o.classes, sources: o.from });
    const drafted = result.outcomes.filter((x) => x.doc).length;
    if (!drafted) return fail(result.outcomes.map((x) => x.skipped).join('; '));
    const notDrafted = result.outcomes.filter((x) => !x.doc).map((x) => describeProfile(x.profile));
    if (o.out) {
      writeFileSync(o.out, result.text);
      const policies = drafted === 1 ? 'policy' : 'policies';
      const rest = notDrafted.length ? `; not drafted (see the summary at the top): ${notDrafted.join(', ')}` : '';
      process.stdout.write(`Wrote ${drafted} draft ${o.format} ${policies} (audit) to ${o.out}${rest}\n`);
    } else process.stdout.write(result.text);
    return 0;
  } catch (e) {
    if (e instanceof ProfileImportError || e instanceof PolicyExportError) return fail(e.message);
    throw e;
  }
}

/** Profiles from every source, one per container (an ApplicationProfile and a NetworkNeighborhood merge), by id. */
export function loadProfiles(sources: readonly string[], cluster: string): Profile[] {
  const byId = new Map<string, Profile>();
  for (const source of sources)
    for (const p of load(source, cluster)) byId.set(p.id, byId.has(p.id) ? mergeProfiles(byId.get(p.id)!, p) : p);
  return [...byId.values()].sort(
    (a, b) => describeProfile(a).localeCompare(describeProfile(b)) || (a.id < b.id ? -1 : 1),
  );
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
  return profilesFromRows(readTableRows(dir, 'CausewayProfiles_CL'));
}
