/** The baselines named by `profiles.import`, read once at start-up; a bad file is a config error. */
import { existsSync, readFileSync } from 'node:fs';
import type { CausewayConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import { importKubescape, ProfileImportError } from './kubescape.ts';
import { mergeProfiles, type Profile } from './profile.ts';

export function loadBaselines(config: CausewayConfig): Profile[] {
  const byId = new Map<string, Profile>();
  const problems = [];
  for (const file of config.profiles.import) {
    if (!existsSync(file)) {
      problems.push({
        setting: `profiles.import (CAUSEWAY_PROFILES_IMPORT): ${file}`,
        problem: 'the file does not exist',
        fix: 'name Kubescape ApplicationProfile / NetworkNeighborhood files (kubectl get applicationprofile,networkneighborhood -n <ns> -o yaml)',
      });
      continue;
    }
    try {
      for (const p of importKubescape(readFileSync(file, 'utf8'), file, config.cluster))
        byId.set(p.id, byId.has(p.id) ? mergeProfiles(byId.get(p.id)!, p) : p);
    } catch (e) {
      if (!(e instanceof ProfileImportError)) throw e;
      problems.push({
        setting: `profiles.import (CAUSEWAY_PROFILES_IMPORT): ${file}`,
        problem: e.message,
        fix: 'export the objects with kubectl get applicationprofile,networkneighborhood -o yaml',
      });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return [...byId.values()];
}
