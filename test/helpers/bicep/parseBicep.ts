/**
 * Bicep source → syntax tree with the tree-sitter Bicep grammar (the `tree-sitter-bicep` package's
 * WebAssembly build run by `web-tree-sitter`: no compiler, no native module), and the tree's
 * literal parts as plain values for the type check.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';
import type { Node, Tree } from 'web-tree-sitter';

const require = createRequire(import.meta.url);

let parser: Promise<Parser> | undefined;

/** One parser for the process: loading the grammar is the slow part. */
export function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const language = await Language.load(readFileSync(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm')));
    return new Parser().setLanguage(language);
  })();
  return parser;
}

/** Parses a Bicep file; a syntax error is reported with its line, never skipped. */
export async function parseBicep(text: string, file = 'input.bicep'): Promise<Tree> {
  const tree = (await bicepParser()).parse(text);
  if (!tree) throw new Error(`${file}: the Bicep grammar returned no tree`);
  if (tree.rootNode.hasError) {
    const bad = tree.rootNode.descendantsOfType(['ERROR', 'MISSING']).find((n) => n !== null) ?? tree.rootNode;
    throw new Error(`${file}:${bad.startPosition.row + 1}: Bicep syntax error`);
  }
  return tree;
}

/** A Bicep expression as far as a static check can know it. */
export type BicepValue =
  | { kind: 'object'; node: Node; properties: BicepProperty[] }
  | { kind: 'array'; node: Node; items: BicepValue[] }
  /** `value` is undefined for an interpolated string: a string whose content is known only at deployment. */
  | { kind: 'string'; node: Node; value?: string }
  | { kind: 'int'; node: Node; value: number }
  | { kind: 'bool'; node: Node; value: boolean }
  | { kind: 'null'; node: Node }
  /** A conditional value: any of the options may be deployed. */
  | { kind: 'choice'; node: Node; options: BicepValue[] }
  /** A value read from JSON that the template loads (loadJsonContent), e.g. a loop item's property. */
  | { kind: 'json'; node: Node; value: unknown }
  /** A parameter, variable, function call or property access: its type is not known statically here. */
  | { kind: 'expression'; node: Node };

/** Values known while reading a template: variables loaded from JSON and loop items. */
export type Bindings = ReadonlyMap<string, unknown>;

const NONE: Bindings = new Map();

/** One `key: value` of an object. */
export interface BicepProperty {
  key: string;
  node: Node;
  value: BicepValue;
}

/** The named children of a node (web-tree-sitter types them as possibly null). */
export function named(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null);
}

const ESCAPES: Record<string, string> = { "\\'": "'", '\\\\': '\\', '\\n': '\n', '\\r': '\r', '\\t': '\t', '\\$': '$' };

function stringValue(node: Node): string | undefined {
  let value = '';
  for (const part of named(node)) {
    if (part.type === 'interpolation') return undefined;
    value += part.type === 'escape_sequence' ? (ESCAPES[part.text] ?? part.text) : part.text;
  }
  return value;
}

/** The key of an `object_property` (an identifier or a quoted string). */
export function propertyKey(node: Node): string {
  const key = named(node)[0]!;
  return key.type === 'string' ? (stringValue(key) ?? key.text) : key.text;
}

/**
 * What an identifier, `a.b.c` or `a[0]` denotes when its root is bound (a JSON variable or a loop
 * item); undefined otherwise.
 */
export function resolve(node: Node, bindings: Bindings): unknown {
  switch (node.type) {
    case 'identifier':
      return bindings.get(node.text);
    case 'member_expression': {
      const object = resolve(node.childForFieldName('object')!, bindings);
      const key = node.childForFieldName('property')!.text;
      return object && typeof object === 'object' && !Array.isArray(object)
        ? (object as Record<string, unknown>)[key]
        : undefined;
    }
    case 'subscript_expression': {
      const object = resolve(node.childForFieldName('object')!, bindings);
      const index = node.childForFieldName('index');
      return Array.isArray(object) && index?.type === 'number' ? object[Number(index.text)] : undefined;
    }
    case 'parenthesized_expression':
      return resolve(named(node)[0]!, bindings);
    default:
      return undefined;
  }
}

/** `[for x in xs: body]` or `[for (x, i) in xs: body]`: the item name and the iterable. */
function loopParts(node: Node): { item?: string; iterable?: Node } {
  const initializer = node.childForFieldName('initializer');
  const body = node.childForFieldName('body');
  // Node objects are not identical across calls: compare by id.
  const parts = named(node).filter((n) => n.id !== initializer?.id && n.id !== body?.id);
  const item =
    initializer?.type === 'identifier'
      ? initializer.text
      : initializer
        ? named(initializer).find((n) => n.type === 'identifier')?.text
        : undefined;
  return { item, iterable: parts.at(-1) };
}

/**
 * The value of an expression node: literals resolved, JSON-bound names (variables loaded with
 * loadJsonContent, loop items over them) resolved to their JSON, everything else an expression.
 */
export function valueOf(node: Node, bindings: Bindings = NONE): BicepValue {
  const bound = ['identifier', 'member_expression', 'subscript_expression'].includes(node.type)
    ? resolve(node, bindings)
    : undefined;
  if (bound !== undefined) return { kind: 'json', node, value: bound };
  switch (node.type) {
    case 'object':
      return {
        kind: 'object',
        node,
        properties: named(node)
          .filter((p) => p.type === 'object_property')
          .map((p) => ({ key: propertyKey(p), node: p, value: valueOf(named(p).at(-1)!, bindings) })),
      };
    case 'array':
      return { kind: 'array', node, items: named(node).map((n) => valueOf(n, bindings)) };
    case 'for_statement': {
      // `[for x in xs: body]`: the body once per item when xs is known JSON, else once with x unknown.
      const body = node.childForFieldName('body');
      if (!body) return { kind: 'array', node, items: [] };
      const { item, iterable } = loopParts(node);
      const items = iterable ? resolve(iterable, bindings) : undefined;
      if (!item || !Array.isArray(items)) return { kind: 'array', node, items: [valueOf(body, bindings)] };
      return {
        kind: 'array',
        node,
        items: items.map((x) => valueOf(body, new Map([...bindings, [item, x]]))),
      };
    }
    case 'if_statement':
      return valueOf(named(node).at(-1)!, bindings);
    case 'parenthesized_expression':
      return valueOf(named(node)[0]!, bindings);
    case 'ternary_expression':
      return {
        kind: 'choice',
        node,
        options: [
          valueOf(node.childForFieldName('consequence')!, bindings),
          valueOf(node.childForFieldName('alternative')!, bindings),
        ],
      };
    case 'string': {
      const value = stringValue(node);
      return value === undefined ? { kind: 'string', node } : { kind: 'string', node, value };
    }
    case 'number':
      return { kind: 'int', node, value: Number(node.text) };
    case 'unary_expression':
      if (node.childForFieldName('operator')?.text === '-' && node.childForFieldName('argument')?.type === 'number')
        return { kind: 'int', node, value: -Number(node.childForFieldName('argument')!.text) };
      return { kind: 'expression', node };
    case 'boolean':
      return { kind: 'bool', node, value: node.text === 'true' };
    case 'null':
      return { kind: 'null', node };
    default:
      return { kind: 'expression', node };
  }
}

/**
 * The file's variables that are JSON the template loads: `var x = loadJsonContent('path')`, optionally
 * followed by `.member` accesses. `read` reads a path relative to the template.
 */
export function jsonVariables(root: Node, read: (path: string) => string | undefined): Map<string, unknown> {
  const vars = new Map<string, unknown>();
  const load = (node: Node): unknown => {
    if (node.type === 'member_expression') {
      const object = load(node.childForFieldName('object')!);
      return object && typeof object === 'object'
        ? (object as Record<string, unknown>)[node.childForFieldName('property')!.text]
        : undefined;
    }
    if (node.type === 'identifier') return vars.get(node.text);
    if (node.type !== 'call_expression' || node.childForFieldName('function')?.text !== 'loadJsonContent')
      return undefined;
    const arg = named(node.childForFieldName('arguments')!)[0];
    const path = arg ? valueOf(arg) : undefined;
    const text = path?.kind === 'string' && path.value !== undefined ? read(path.value) : undefined;
    return text === undefined ? undefined : JSON.parse(text);
  };
  for (const decl of named(root).filter((n) => n.type === 'variable_declaration')) {
    const [name, expr] = named(decl);
    const value = name && expr ? load(expr) : undefined;
    if (name && value !== undefined) vars.set(name.text, value);
  }
  return vars;
}

/** The `targetScope` of a file (Bicep's default is resourceGroup). */
export function targetScope(root: Node): string {
  const assignment = named(root).find((n) => n.type === 'target_scope_assignment');
  const value = assignment ? valueOf(named(assignment)[0]!) : undefined;
  return value?.kind === 'string' && value.value !== undefined ? value.value : 'resourceGroup';
}
