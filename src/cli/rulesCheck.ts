import { ConfigError } from '../errors.ts';
import { DEFAULT_PACK, loadRulePacks } from '../signals/loadRules.ts';

/** `causeway rules check [files…]`: validates packs (the default one plus the given files). */
export function rulesCheck(files: string[]): number {
  try {
    const packs = loadRulePacks([DEFAULT_PACK, ...files]);
    for (const p of packs)
      process.stdout.write(`${p.file}: ${p.pack.pack} ${p.pack.version}, ${p.pack.rules.length} rules OK\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) process.stderr.write(`${p.setting}: ${p.problem}\n`);
      return 1;
    }
    throw e;
  }
}
