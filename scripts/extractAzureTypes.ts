/**
 * `npm run fixtures:azure-types`: copies the facts the Bicep type check needs from
 * ../shared/reference/azure-resource-types (Azure's bicep-types-az data, the same data the Bicep
 * compiler type-checks against) into test/fixtures/azure-types/resource-types.json, so a clone
 * without ../shared runs the check. Kept per source file: every resource type with its API version,
 * readable/writable scopes and body, and the file's type table (StringType, ObjectType, UnionType,
 * …) with descriptions dropped; `$ref` indices stay as in the source file. Resource types the
 * reference lacks are appended from azureTypesSupplement.ts (hand-transcribed, with provenance).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../src/repoPath.ts';
import { AZURE_TYPES_SUPPLEMENT } from './azureTypesSupplement.ts';

/** One resource type at one API version, as bicep-types-az lists it. */
export interface ResourceTypeFact {
  name: string;
  bodyRef: string;
  readableScopes: number;
  writableScopes: number;
  readOnly?: boolean;
}

/** The resources of one bicep-types-az file and the type table their bodies refer to. */
export interface TypeFile {
  source: string;
  resources: ResourceTypeFact[];
  types: Record<string, unknown>[];
}

/** The committed fixture. */
export interface ResourceTypesFixture {
  $comment: string;
  provenance: { source: string; commit: string; commitDate: string };
  files: TypeFile[];
}

interface IndexFile {
  _provenance: { source: string; commit: string; commitDate: string };
  files: { file: string; source: string }[];
}

interface SourceFile {
  resources: { name: string; bodyRef: string; readableScopes: number; writableScopes: number; flags?: number }[];
  types: Record<string, unknown>[];
}

/**
 * Drops documentation (a `description` string) from a type entry and its properties; keeps everything
 * typed, including properties that are themselves named `description` (their value is an object).
 */
function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k, v]) => !(k === 'description' && typeof v === 'string'))
        .map(([k, v]) => [k, withoutDescriptions(v)]),
    );
  return value;
}

/** Reads the reference folder and builds the fixture (pure apart from reading files). */
export function extractAzureTypes(referenceDir: string): ResourceTypesFixture {
  const dir = join(referenceDir, 'azure-resource-types');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as IndexFile;
  const files = index.files.map(({ file, source }) => {
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as SourceFile;
    return {
      source,
      resources: data.resources.map((r) => ({
        name: r.name,
        bodyRef: r.bodyRef,
        readableScopes: r.readableScopes,
        writableScopes: r.writableScopes,
        ...((r.flags ?? 0) & 1 ? { readOnly: true } : {}),
      })),
      types: data.types.map((t) => withoutDescriptions(t) as Record<string, unknown>),
    };
  });
  return {
    $comment:
      'Generated from ../shared/reference/azure-resource-types and scripts/azureTypesSupplement.ts by `npm run fixtures` (scripts/extractAzureTypes.ts). Do not edit.',
    provenance: {
      source: index._provenance.source,
      commit: index._provenance.commit,
      commitDate: index._provenance.commitDate,
    },
    files: [...files, ...AZURE_TYPES_SUPPLEMENT],
  };
}

/** Where the fixture lives in the repository. */
export const AZURE_TYPES_FIXTURE = repoPath('test', 'fixtures', 'azure-types', 'resource-types.json');

/** The fixture as text: one line per resource and per type entry, so a regenerated fixture diffs readably. */
export function renderAzureTypesFixture(fixture: ResourceTypesFixture): string {
  const list = (items: unknown[]) => `[\n${items.map((i) => '    ' + JSON.stringify(i)).join(',\n')}\n  ]`;
  const files = fixture.files.map(
    (f) =>
      `{\n  "source": ${JSON.stringify(f.source)},\n  "resources": ${list(f.resources)},\n  "types": ${list(f.types)}\n}`,
  );
  return (
    `{\n"$comment": ${JSON.stringify(fixture.$comment)},\n"provenance": ${JSON.stringify(fixture.provenance)},\n` +
    `"files": [\n${files.join(',\n')}\n]\n}\n`
  );
}

/** Writes the fixture; returns its path. */
export function writeAzureTypesFixture(referenceDir: string): string {
  writeFileSync(AZURE_TYPES_FIXTURE, renderAzureTypesFixture(extractAzureTypes(referenceDir)));
  return AZURE_TYPES_FIXTURE;
}
