/**
 * A type check of Bicep files against Azure's resource type definitions, for what the Bicep
 * compiler would refuse and cannot be run here: for every `resource` declaration, the API version
 * has type data (BCP081), the resource can be deployed (or read, for `existing`) at its scope
 * (BCP135), and its body passes the type check (BCP035/036/037/073); for every `module`, the scope
 * it is deployed at is the module's targetScope (BCP134).
 */
import type { Node } from 'web-tree-sitter';
import type { AzureTypes } from './azureTypes.ts';
import { SCOPE, scopeNames } from './azureTypes.ts';
import type { BicepValue, Bindings } from './parseBicep.ts';
import { jsonVariables, named, parseBicep, targetScope, valueOf } from './parseBicep.ts';
import type { Value } from './typeCheck.ts';
import { jsonValue, TypeChecker } from './typeCheck.ts';

/** One finding: the Bicep diagnostic code, the file and line, and what to fix. */
export interface BicepDiagnostic {
  code: string;
  file: string;
  line: number;
  message: string;
}

/** Keys of a resource body that Bicep interprets itself; they are not properties of the resource type. */
const LANGUAGE_KEYS = ['parent', 'scope', 'dependsOn'];

/** The scope functions Bicep knows, by the name of the scope they return. */
const SCOPE_FUNCTIONS: Record<string, keyof typeof SCOPE> = {
  tenant: 'tenant',
  managementGroup: 'managementGroup',
  subscription: 'subscription',
  resourceGroup: 'resourceGroup',
};

/** Turns a Bicep value into a checkable value located by `file:line`. */
function located(v: BicepValue, file: string): Value {
  const at = `${file}:${v.node.startPosition.row + 1}`;
  switch (v.kind) {
    case 'object':
      return {
        kind: 'object',
        at,
        properties: v.properties.map((p) => ({
          key: p.key,
          at: `${file}:${p.node.startPosition.row + 1}`,
          value: located(p.value, file),
        })),
      };
    case 'array':
      return { kind: 'array', at, items: v.items.map((i) => located(i, file)) };
    case 'choice':
      return { kind: 'choice', at, options: v.options.map((o) => located(o, file)) };
    case 'string':
      return v.value === undefined ? { kind: 'string', at } : { kind: 'string', at, value: v.value };
    case 'int':
    case 'bool':
      return { kind: v.kind, at, value: v.value } as Value;
    case 'json':
      // Loaded JSON (a loop item of infra/generated/*.json): checked as deployed, located at its use.
      return jsonValue(v.value, at);
    default:
      return { kind: v.kind, at } as Value;
  }
}

/** The scope a `scope:` value names: a scope function's kind, or `extension` for a resource. */
function scopeOf(value: BicepValue): keyof typeof SCOPE | undefined {
  if (value.kind !== 'expression') return undefined;
  const node = value.node;
  if (node.type === 'call_expression') return SCOPE_FUNCTIONS[node.childForFieldName('function')?.text ?? ''];
  if (['identifier', 'subscript_expression', 'member_expression'].includes(node.type)) return 'extension';
  return undefined;
}

/** The bodies of a resource or module declaration: one, or one per item of a loop over known JSON. */
function bodies(declaration: Node, bindings: Bindings): BicepValue[] {
  const last = named(declaration).at(-1);
  if (!last) return [];
  const v = valueOf(last, bindings);
  if (v.kind === 'array') return v.items.filter((i) => i.kind === 'object');
  return v.kind === 'object' ? [v] : [];
}

function property(v: BicepValue | undefined, key: string): BicepValue | undefined {
  return v?.kind === 'object' ? v.properties.find((p) => p.key === key)?.value : undefined;
}

/** Reads a file (a module, loaded JSON) by its path relative to the declaring file; undefined when absent. */
export type RelativeReader = (fromFile: string, relativePath: string) => string | undefined;

/** Checks one Bicep file. */
export async function checkBicep(
  file: string,
  text: string,
  types: AzureTypes,
  read?: RelativeReader,
): Promise<BicepDiagnostic[]> {
  const root = (await parseBicep(text, file)).rootNode;
  const bindings = jsonVariables(root, (path) => read?.(file, path));
  const fileScope = targetScope(root) as keyof typeof SCOPE;
  const checker = new TypeChecker(types);
  const out: BicepDiagnostic[] = [];
  const line = (n: Node) => n.startPosition.row + 1;

  for (const decl of named(root).filter((n) => n.type === 'resource_declaration')) {
    const symbol = named(decl)[0]!.text;
    const typeString = valueOf(named(decl)[1]!);
    if (typeString.kind !== 'string' || typeString.value === undefined) continue;
    const existing = decl.children.some((c) => c?.type === 'existing');
    const resource = types.resource(typeString.value);
    if (!resource) {
      const [type] = typeString.value.split('@');
      const known = types.apiVersions(type!);
      out.push({
        code: 'BCP081',
        file,
        line: line(decl),
        message:
          `resource ${symbol}: no published type data for ${typeString.value}, so nothing in it is type-checked` +
          (known.length ? `; type data exists for ${known.join(', ')}` : ''),
      });
      continue;
    }
    const resourceBodies = bodies(decl, bindings);
    const explicit = property(resourceBodies[0], 'scope');
    const scope = explicit ? scopeOf(explicit) : fileScope;
    const allowed = existing ? resource.readableScopes : resource.writableScopes;
    if (scope && !(allowed & SCOPE[scope]))
      out.push({
        code: 'BCP135',
        file,
        line: line(decl),
        message:
          `resource ${symbol} (${resource.name}) cannot be ${existing ? 'read' : 'deployed'} at ${scope} scope` +
          `${explicit ? '' : ` (this file's targetScope)`}; it can be at: ${scopeNames(allowed)}`,
      });
    const seen = new Set<string>();
    for (const resourceBody of resourceBodies)
      for (const d of checker.check(located(resourceBody, file), resource.body, '', {
        languageKeys: LANGUAGE_KEYS,
        existing,
      })) {
        const message = `resource ${symbol} (${resource.name}): ${d.message}`;
        if (seen.has(d.at + message)) continue; // the same mistake in every loop item is one finding
        seen.add(d.at + message);
        out.push({ code: d.code, file, line: Number(/:(\d+)/.exec(d.at)?.[1]), message });
      }
  }

  for (const decl of named(root).filter((n) => n.type === 'module_declaration')) {
    const symbol = named(decl)[0]!.text;
    const path = valueOf(named(decl)[1]!);
    if (path.kind !== 'string' || path.value === undefined || !read) continue;
    const source = read(file, path.value);
    if (source === undefined) {
      out.push({ code: 'BCP091', file, line: line(decl), message: `module ${symbol}: ${path.value} does not exist` });
      continue;
    }
    const moduleScope = targetScope((await parseBicep(source, path.value)).rootNode);
    const explicit = property(bodies(decl, bindings)[0], 'scope');
    const deployedAt = explicit ? scopeOf(explicit) : fileScope;
    if (deployedAt && deployedAt !== moduleScope)
      out.push({
        code: 'BCP134',
        file,
        line: line(decl),
        message: `module ${symbol} is deployed at ${deployedAt} scope but ${path.value} has targetScope '${moduleScope}'`,
      });
  }
  return out;
}
