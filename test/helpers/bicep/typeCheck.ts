/**
 * Checks a value against a bicep-types-az type the way the Bicep compiler does for the parts it can
 * know statically: property names (BCP037), required properties (BCP035), literal values against
 * enums, primitive types and limits (BCP036), and writes to read-only properties (BCP073).
 * Expressions whose value is only known at deployment are not guessed at.
 */
import type { AzureTypes, PropertyType, TypeEntry, TypeRef } from './azureTypes.ts';
import { FLAG } from './azureTypes.ts';

/** A value to check, from Bicep literals or from JSON that Bicep loads. `at` locates it for messages. */
export type Value =
  | { kind: 'object'; at: string; properties: { key: string; at: string; value: Value }[] }
  | { kind: 'array'; at: string; items: Value[] }
  | { kind: 'string'; at: string; value?: string }
  | { kind: 'int'; at: string; value: number }
  | { kind: 'bool'; at: string; value: boolean }
  | { kind: 'null'; at: string }
  | { kind: 'choice'; at: string; options: Value[] }
  | { kind: 'expression'; at: string };

/** One finding, with the Bicep diagnostic code the compiler would report. */
export interface TypeDiagnostic {
  code: 'BCP035' | 'BCP036' | 'BCP037' | 'BCP073';
  at: string;
  path: string;
  message: string;
}

/** A JSON value (e.g. loaded with loadJsonContent) as a Value located by JSON path. */
export function jsonValue(v: unknown, at: string): Value {
  if (v === null) return { kind: 'null', at };
  if (Array.isArray(v)) return { kind: 'array', at, items: v.map((x, i) => jsonValue(x, `${at}/${i}`)) };
  if (typeof v === 'object')
    return {
      kind: 'object',
      at,
      properties: Object.entries(v as Record<string, unknown>).map(([key, x]) => ({
        key,
        at: `${at}/${key}`,
        value: jsonValue(x, `${at}/${key}`),
      })),
    };
  if (typeof v === 'string') return { kind: 'string', at, value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', at, value: v } : { kind: 'expression', at };
  if (typeof v === 'boolean') return { kind: 'bool', at, value: v };
  return { kind: 'expression', at };
}

/** Options of one check. */
export interface CheckOptions {
  /** Top-level keys Bicep itself interprets (parent, scope, dependsOn) and that are not in the type. */
  languageKeys?: string[];
  /** An `existing` resource: only its name is written, so required properties are not asked for. */
  existing?: boolean;
}

/** Type checker over one AzureTypes data set. */
export class TypeChecker {
  constructor(private readonly types: AzureTypes) {}

  /** Checks `value` against the type at `ref`; `path` names the value in messages (`properties.x`). */
  check(value: Value, ref: TypeRef, path: string, options: CheckOptions = {}): TypeDiagnostic[] {
    const out: TypeDiagnostic[] = [];
    this.visit(value, ref, path, options, out);
    return out;
  }

  /** Whether a value fits a type, without reporting (for union members). */
  private fits(value: Value, ref: TypeRef): boolean {
    const out: TypeDiagnostic[] = [];
    this.visit(value, ref, '', {}, out);
    return out.length === 0;
  }

  private visit(value: Value, ref: TypeRef, path: string, options: CheckOptions, out: TypeDiagnostic[]): void {
    if (value.kind === 'expression' || value.kind === 'null') return;
    if (value.kind === 'choice') {
      for (const o of value.options) this.visit(o, ref, path, options, out);
      return;
    }
    const t = this.types.entry(ref);
    const mismatch = (expected: string): void => {
      out.push({
        code: 'BCP036',
        at: value.at,
        path,
        message: `${path} expects ${expected}, the template gives ${describeValue(value)}`,
      });
    };
    switch (t.$type) {
      case 'AnyType':
        return;
      case 'StringType':
        if (value.kind !== 'string') return mismatch('a string');
        if (value.value !== undefined) this.stringLimits(value.value, t, path, value.at, out);
        return;
      case 'StringLiteralType':
        if (value.kind !== 'string') return mismatch(`'${String(t.value)}'`);
        if (value.value !== undefined && value.value !== t.value) mismatch(`'${String(t.value)}'`);
        return;
      case 'IntegerType':
        if (value.kind !== 'int') return mismatch('an integer');
        if (typeof t.minValue === 'number' && value.value < t.minValue) mismatch(`an integer ≥ ${t.minValue}`);
        if (typeof t.maxValue === 'number' && value.value > t.maxValue) mismatch(`an integer ≤ ${t.maxValue}`);
        return;
      case 'BooleanType':
        if (value.kind !== 'bool') mismatch('a boolean');
        return;
      case 'NullType':
        return mismatch('null');
      case 'UnionType': {
        const members = (t.elements as { $ref: string }[]).map((e) => this.types.follow(ref, e));
        if (value.kind === 'string' && value.value === undefined) {
          // An interpolated string fits a union that admits some string.
          if (members.some((m) => ['StringType', 'StringLiteralType'].includes(this.types.entry(m).$type))) return;
        }
        if (!members.some((m) => this.fits(value, m))) mismatch(this.types.describe(ref));
        return;
      }
      case 'ArrayType':
        if (value.kind !== 'array') return mismatch('an array');
        for (const [i, item] of value.items.entries())
          this.visit(item, this.types.follow(ref, t.itemType as { $ref: string }), `${path}[${i}]`, {}, out);
        return;
      case 'ObjectType':
      case 'DiscriminatedObjectType':
        if (value.kind !== 'object') return mismatch(`an object (${String(t.name)})`);
        return this.object(value, ref, t, path, options, out);
      default:
        return;
    }
  }

  private stringLimits(s: string, t: TypeEntry, path: string, at: string, out: TypeDiagnostic[]): void {
    const fail = (what: string) => out.push({ code: 'BCP036', at, path, message: `${path}: '${s}' is not ${what}` });
    if (typeof t.minLength === 'number' && s.length < t.minLength) fail(`at least ${t.minLength} characters`);
    if (typeof t.maxLength === 'number' && s.length > t.maxLength) fail(`at most ${t.maxLength} characters`);
    if (typeof t.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(t.pattern);
      } catch {
        re = undefined; // a .NET-only pattern: the resource provider checks it at deployment
      }
      if (re && !re.test(s)) fail(`matched by ${t.pattern}`);
    }
  }

  private object(
    value: Extract<Value, { kind: 'object' }>,
    ref: TypeRef,
    t: TypeEntry,
    path: string,
    options: CheckOptions,
    out: TypeDiagnostic[],
  ): void {
    let props: Record<string, PropertyType>;
    let closed = true;
    let additional: { $ref: string } | undefined;
    if (t.$type === 'DiscriminatedObjectType') {
      const discriminator = String(t.discriminator);
      const elements = t.elements as Record<string, { $ref: string }>;
      const chosen = value.properties.find((p) => p.key === discriminator)?.value;
      props = { ...(t.baseProperties as Record<string, PropertyType>) };
      if (chosen?.kind === 'string' && chosen.value !== undefined) {
        const element = elements[chosen.value];
        if (!element) {
          out.push({
            code: 'BCP036',
            at: chosen.at,
            path: `${path}.${discriminator}`.replace(/^\./, ''),
            message: `${discriminator} '${chosen.value}' is not one of ${Object.keys(elements).join(', ')}`,
          });
          closed = false;
        } else {
          const e = this.types.entry(this.types.follow(ref, element));
          props = { ...props, ...(e.properties as Record<string, PropertyType>) };
        }
      } else closed = false; // the kind is only known at deployment: its properties cannot be named here
    } else {
      props = t.properties as Record<string, PropertyType>;
      additional = t.additionalProperties as { $ref: string } | undefined;
    }
    const join = (k: string) => (path ? `${path}.${k}` : k);
    for (const p of value.properties) {
      if (options.languageKeys?.includes(p.key)) continue;
      const prop = props[p.key];
      if (prop) {
        if (prop.flags & FLAG.readOnly)
          out.push({ code: 'BCP073', at: p.at, path: join(p.key), message: `${join(p.key)} is read-only` });
        else this.visit(p.value, this.types.follow(ref, prop.type), join(p.key), {}, out);
      } else if (additional) {
        this.visit(p.value, this.types.follow(ref, additional), join(p.key), {}, out);
      } else if (closed) {
        const near = Object.keys(props).find((k) => k.toLowerCase() === p.key.toLowerCase());
        out.push({
          code: 'BCP037',
          at: p.at,
          path: join(p.key),
          message:
            `${join(p.key)} is not a property of ${String(t.name)}` +
            (near ? ` (did you mean ${near}?)` : `; it has ${writable(props).join(', ')}`),
        });
      }
    }
    if (options.existing) return;
    const given = new Set(value.properties.map((p) => p.key));
    for (const [k, prop] of Object.entries(props))
      if (prop.flags & FLAG.required && !(prop.flags & FLAG.readOnly) && !given.has(k))
        out.push({
          code: 'BCP035',
          at: value.at,
          path: join(k),
          message: `${join(k)} is required by ${String(t.name)} and missing`,
        });
  }
}

function writable(props: Record<string, PropertyType>): string[] {
  return Object.entries(props)
    .filter(([, p]) => !(p.flags & FLAG.readOnly))
    .map(([k]) => k);
}

function describeValue(v: Value): string {
  switch (v.kind) {
    case 'string':
      return v.value === undefined ? 'an interpolated string' : `'${v.value}'`;
    case 'int':
    case 'bool':
      return String(v.value);
    default:
      return `an ${v.kind}`;
  }
}
