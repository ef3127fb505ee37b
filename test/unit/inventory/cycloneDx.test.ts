/**
 * `causeway inventory --format cyclonedx` is a valid CycloneDX 1.6 document: checked offline with
 * ajv against the 1.6 JSON schema and the SPDX and JSF schemas it references, as shipped by
 * @cyclonedx/cyclonedx-library (res/schema).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { inventoryCommand } from '../../../src/cli/inventory.ts';
import { demoAttack } from '../../../src/demo/scenarios.ts';
import { inventoryFromRows } from '../../../src/inventory/inventoryFromRows.ts';
import type { Row } from '../../../src/sinks/tables.ts';
import { runScenario } from '../../helpers/pipeline.ts';

const SCHEMA_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res/schema',
);
const CDX = 'http://cyclonedx.org/schema/';

function bomValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // Formats ajv-formats does not know: an IRI reference and an internationalised email.
  ajv.addFormat('iri-reference', (s: string) => !/[\s<>"{}|\\^`]/.test(s));
  ajv.addFormat('idn-email', (s: string) => /^[^\s@]+@[^\s@]+$/.test(s));
  const read = (f: string) => JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as Record<string, unknown>;
  // The 1.6 schema refers to its neighbours by their file names, relative to its own $id.
  ajv.addSchema({ ...read('spdx.SNAPSHOT.schema.json'), $id: `${CDX}spdx.SNAPSHOT.schema.json` });
  ajv.addSchema({ ...read('jsf-0.82.SNAPSHOT.schema.json'), $id: `${CDX}jsf-0.82.SNAPSHOT.schema.json` });
  return ajv.compile(read('bom-1.6.SNAPSHOT.schema.json'));
}

let rows: Row[] = [];
let dir = '';

beforeAll(async () => {
  const run = await runScenario(demoAttack('aks-prod', Date.parse('2026-03-14T10:30:00Z')));
  rows = run.sink.rows('CausewayInventory_CL');
  dir = mkdtempSync(join(tmpdir(), 'causeway-inventory-'));
  writeFileSync(join(dir, 'CausewayInventory_CL.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
});

afterEach(() => vi.restoreAllMocks());

function runCommand(format: string): { code: number; out: string } {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const code = inventoryCommand({ from: dir, format });
  vi.restoreAllMocks();
  return { code, out };
}

describe('causeway inventory', () => {
  it('prints the demo inventory as CycloneDX 1.6 that validates against the schema', () => {
    const { code, out } = runCommand('cyclonedx');
    expect(code).toBe(0);
    const bom = JSON.parse(out) as Record<string, unknown>;
    const validate = bomValidator();
    expect(validate(bom), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    const components = bom.components as { type: string; name: string }[];
    expect(components.map((c) => c.type)).toEqual(['machine-learning-model', 'machine-learning-model']);
    const services = bom.services as { name: string; services?: { name: string }[] }[];
    expect(
      services
        .find((s) => s.name === 'kb-tools')
        ?.services?.map((t) => t.name)
        .sort(),
    ).toEqual(['get_order_status', 'search_kb']);
  });

  it('rejects a BOM the schema forbids (the validator can fail)', () => {
    const validate = bomValidator();
    expect(validate({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'model', name: 'x' }] })).toBe(
      false,
    );
  });

  it('prints one table line per component, with the latest row of each', () => {
    const { code, out } = runCommand('table');
    expect(code).toBe(0);
    const items = inventoryFromRows(rows);
    expect(out.trimEnd().split('\n')).toHaveLength(items.length + 3);
    expect(out).toMatch(/^model\s+gpt-4o\s.*contoso-openai\.openai\.azure\.com\s+yes/m);
  });

  it('keeps control characters from telemetry off the terminal', () => {
    const hostile = {
      ...rows[0]!,
      ComponentId: 'x',
      Name: 'evil\u001b[31mtool\nnext',
      TimeGenerated: '2026-03-14T11:00:00Z',
    };
    const text = inventoryFromRows([hostile]);
    expect(text[0]!.name).toContain('\u001b');
    writeFileSync(join(dir, 'CausewayInventory_CL.jsonl'), JSON.stringify(hostile) + '\n');
    const { out } = runCommand('table');
    expect(out).not.toContain('\u001b');
    expect(out).toContain('evil [31mtool next');
    writeFileSync(join(dir, 'CausewayInventory_CL.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });

  it('names the fix for a bad --format or a missing --from', () => {
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    expect(inventoryCommand({ from: dir, format: 'spdx' })).toBe(2);
    expect(inventoryCommand({})).toBe(2);
    expect(err).toContain('--format must be one of table, cyclonedx');
    expect(err).toContain('inventory needs --from <tables directory>');
  });
});
