/**
 * The one ajv instance. Schemas in `schemas/` are the single source of truth for shapes; each
 * is compiled once, at first use, and cached by file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { repoPath } from './repoPath.ts';
import { safePointer } from './transforms/fieldName.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);

const cache = new Map<string, ValidateFunction>();

/** Reads a JSON file under `schemas/`. */
export function readSchemaFile<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFileSync(repoPath('schemas', ...parts), 'utf8')) as T;
}

/** A compiled validator for a schema file under `schemas/`, e.g. `validator('sources', 'tetragon.schema.json')`. */
export function validator<T = unknown>(...parts: string[]): ValidateFunction<T> {
  const key = parts.length === 2 ? parts[0] + '/' + parts[1] : parts.join('/');
  let v = cache.get(key);
  if (!v) {
    v = ajv.compile(readSchemaFile(...parts) as object);
    cache.set(key, v);
  }
  return v as ValidateFunction<T>;
}

/** One line per ajv error: `path: message`. Paths name record keys only when they look like field names. */
export function describeErrors(errors: ErrorObject[] | null | undefined, limit = 5): string {
  if (!errors?.length) return 'unknown schema error';
  const lines = errors
    .slice(0, limit)
    .map((e) =>
      `${safePointer(e.instancePath) || '/'} ${e.message ?? ''}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`.trim(),
    );
  if (errors.length > limit) lines.push(`… and ${errors.length - limit} more`);
  return lines.join('; ');
}

/** Every `*.json` file in a `schemas/` folder. */
export function listSchemaFiles(...parts: string[]): string[] {
  return readdirSync(repoPath('schemas', ...parts))
    .filter((f) => f.endsWith('.json'))
    .sort();
}
