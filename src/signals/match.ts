/** Compiles rule tests into predicates over RuntimeEvents, once, at load time. */
import type { RuntimeEvent } from '../model/event.ts';
import type { RuleTest } from './rulePack.ts';
import { isPrivateIp, ipInCidr } from '../common/ipAddress.ts';
import { baseName } from '../common/paths.ts';

export type FieldGetter = (e: RuntimeEvent) => unknown;

const DERIVED: Record<string, FieldGetter> = {
  'process.name': (e) => (e.process?.binary ? baseName(e.process.binary) : e.process?.commandLine?.split(' ')[0]),
  'process.parentName': (e) => (e.process?.parentBinary ? baseName(e.process.parentBinary) : undefined),
};

/** `file.path` → (e) => e.file?.path, without walking a path string per event. */
export function fieldGetter(field: string): FieldGetter {
  const derived = DERIVED[field];
  if (derived) return derived;
  const [group, key] = field.split('.') as [string, string | undefined];
  if (key === undefined) return (e) => (e as unknown as Record<string, unknown>)[group];
  return (e) => ((e as unknown as Record<string, Record<string, unknown> | undefined>)[group] ?? undefined)?.[key];
}

/** Glob → RegExp: `**` any characters, `*` any except `/`, `?` one character except `/`. */
export function globToRegExp(glob: string, flags = ''): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
        // `**/` also matches no directory at all: `/**/.aws/x` matches `/.aws/x`.
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:/)?';
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, flags);
}

export type Predicate = (e: RuntimeEvent) => boolean;

export function compileTest(test: RuleTest): Predicate {
  const get = fieldGetter(test.field);
  if (test.exists !== undefined) return (e) => (get(e) !== undefined && get(e) !== '') === test.exists;
  if (test.equals !== undefined) return (e) => get(e) === test.equals;
  if (test.in) {
    const set = new Set<unknown>(test.in);
    return (e) => {
      const v = get(e);
      return Array.isArray(v) ? v.some((x) => set.has(x)) : set.has(v);
    };
  }
  if (test.prefix) {
    const prefixes = test.prefix;
    return (e) => {
      const v = get(e);
      return typeof v === 'string' && prefixes.some((p) => v.startsWith(p));
    };
  }
  if (test.suffix) {
    const suffixes = test.suffix;
    return (e) => {
      const v = get(e);
      return typeof v === 'string' && suffixes.some((s) => v.endsWith(s));
    };
  }
  if (test.glob) {
    const res = test.glob.map((g) => globToRegExp(g));
    return (e) => {
      const v = get(e);
      return typeof v === 'string' && res.some((r) => r.test(v));
    };
  }
  if (test.regex !== undefined) {
    const re = new RegExp(test.regex);
    return (e) => {
      const v = get(e);
      return typeof v === 'string'
        ? re.test(v)
        : Array.isArray(v) && v.some((x) => typeof x === 'string' && re.test(x));
    };
  }
  if (test.cidr) {
    const cidrs = test.cidr;
    return (e) => {
      const v = get(e);
      return typeof v === 'string' && cidrs.some((c) => ipInCidr(v, c));
    };
  }
  if (test.private !== undefined) {
    const wanted = test.private;
    return (e) => {
      const v = get(e);
      return typeof v === 'string' && isPrivateIp(v) === wanted;
    };
  }
  return () => false;
}
