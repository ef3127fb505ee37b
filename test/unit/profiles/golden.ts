/**
 * Golden files for draft policies: compared whole, never written by a test run unless asked
 * (`UPDATE_GOLDEN=1 npx vitest run test/unit/profiles test/unit/cli`, then review the diff), and
 * every document in them valid against the schema of its kind (schemas/k8s).
 */
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DRAFT_SCHEMAS, type DraftKind } from '../../../src/profiles/draftDocument.ts';
import { describeErrors, validator } from '../../../src/schemas.ts';
import { expectGoldenText } from '../../helpers/golden.ts';

export const GOLDEN = new URL('./golden/', import.meta.url).pathname;

export function golden(name: string, text: string): void {
  expectGoldenText(`${GOLDEN}${name}`, text);
}

/** Every document of a YAML text, each checked against schemas/k8s for its kind; returns them. */
export function validDocuments(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((d, i) => {
    const doc = d.toJS() as Record<string, unknown>;
    const schema = DRAFT_SCHEMAS[doc.kind as DraftKind];
    expect(schema, `document ${i + 1} has a kind with a schema`).toBeDefined();
    const validate = validator('k8s', schema);
    expect(validate(doc), `document ${i + 1} (${String(doc.kind)}): ${describeErrors(validate.errors)}`).toBe(true);
    return doc;
  });
}
