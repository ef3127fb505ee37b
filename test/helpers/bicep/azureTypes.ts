/**
 * Azure resource type definitions (bicep-types-az, the data the Bicep compiler type-checks
 * against) from the committed fixture test/fixtures/azure-types/resource-types.json.
 */
import { readFileSync } from 'node:fs';
import type { ResourceTypesFixture, TypeFile } from '../../../scripts/extractAzureTypes.ts';
import { AZURE_TYPES_FIXTURE } from '../../../scripts/extractAzureTypes.ts';

/** Scope bits of bicep-types (ScopeType). */
export const SCOPE = { tenant: 1, managementGroup: 2, subscription: 4, resourceGroup: 8, extension: 16 } as const;

/** Names of the bits set in a scope field, e.g. `ResourceGroup, Extension`. */
export function scopeNames(bits: number): string {
  return Object.entries(SCOPE)
    .filter(([, b]) => bits & b)
    .map(([n]) => n)
    .join(', ');
}

/** Property flags of bicep-types (ObjectTypePropertyFlags). */
export const FLAG = { required: 1, readOnly: 2, writeOnly: 4, deployTimeConstant: 8 } as const;

/** A reference into one file's type table. */
export interface TypeRef {
  file: TypeFile;
  index: number;
}

/** One entry of a type table, as bicep-types-az writes it. */
export interface TypeEntry {
  $type: string;
  [key: string]: unknown;
}

/** A property of an ObjectType. */
export interface PropertyType {
  type: { $ref: string };
  flags: number;
}

/** A resource type at one API version. */
export interface ResourceType {
  name: string;
  readableScopes: number;
  writableScopes: number;
  body: TypeRef;
}

/** `#/12` → 12. */
function refIndex(ref: string): number {
  return Number(ref.slice(ref.lastIndexOf('/') + 1));
}

/** The type data with lookups by resource type and API version. */
export class AzureTypes {
  private readonly resources = new Map<string, ResourceType>();
  private readonly versions = new Map<string, string[]>();

  constructor(fixture: ResourceTypesFixture) {
    for (const file of fixture.files)
      for (const r of file.resources) {
        const [type, version] = r.name.split('@') as [string, string];
        this.resources.set(r.name.toLowerCase(), {
          name: r.name,
          readableScopes: r.readableScopes,
          writableScopes: r.writableScopes,
          body: { file, index: refIndex(r.bodyRef) },
        });
        this.versions.set(type.toLowerCase(), [...(this.versions.get(type.toLowerCase()) ?? []), version]);
      }
  }

  /** The committed fixture. */
  static load(path = AZURE_TYPES_FIXTURE): AzureTypes {
    return new AzureTypes(JSON.parse(readFileSync(path, 'utf8')) as ResourceTypesFixture);
  }

  /** `Microsoft.X/y@2024-01-01` (resource type names are case-insensitive in ARM). */
  resource(typeAndVersion: string): ResourceType | undefined {
    return this.resources.get(typeAndVersion.toLowerCase());
  }

  /** The API versions the data has for a resource type. */
  apiVersions(type: string): string[] {
    return this.versions.get(type.toLowerCase()) ?? [];
  }

  /** The type table entry a reference points at. */
  entry(ref: TypeRef): TypeEntry {
    const entry = ref.file.types[ref.index] as TypeEntry | undefined;
    if (!entry) throw new Error(`type data: no entry #/${ref.index} in ${ref.file.source}`);
    return entry;
  }

  /** Follows a `{ $ref }` found inside a type entry of the same file. */
  follow(from: TypeRef, ref: { $ref: string }): TypeRef {
    return { file: from.file, index: refIndex(ref.$ref) };
  }

  /** A short readable name of a type, for messages: `string`, `'A' | 'B'`, `EventGroupingSettings`. */
  describe(ref: TypeRef): string {
    const t = this.entry(ref);
    switch (t.$type) {
      case 'StringLiteralType':
        return `'${String(t.value)}'`;
      case 'UnionType':
        return (t.elements as { $ref: string }[]).map((e) => this.describe(this.follow(ref, e))).join(' | ');
      case 'ArrayType':
        return `${this.describe(this.follow(ref, t.itemType as { $ref: string }))}[]`;
      case 'ObjectType':
      case 'DiscriminatedObjectType':
        return String(t.name);
      default:
        return t.$type.replace(/Type$/, '').toLowerCase();
    }
  }
}
