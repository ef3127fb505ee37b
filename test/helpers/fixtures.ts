/**
 * Our own fixture files under test/fixtures/<source>/: records written for these tests from the
 * public formats (each folder's README.md names the format and the reference it follows). Nothing
 * here reads ../shared: a fresh clone has everything these helpers need.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Absolute path of test/fixtures/, with a trailing slash. */
export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

/** Absolute path of one fixture, named relative to test/fixtures/ (`tetragon/export.jsonl`). */
export function fixturePath(name: string): string {
  return FIXTURES + name;
}

/** The bytes of one fixture, as a sensor or an exporter would send them. */
export function readFixture(name: string): Buffer {
  return readFileSync(fixturePath(name));
}

/** The fixture files of one source folder (README.md left out), sorted, named relative to test/fixtures/. */
export function fixtureFiles(folder: string): string[] {
  return readdirSync(fixturePath(folder))
    .filter((f) => f !== 'README.md')
    .sort()
    .map((f) => `${folder}/${f}`);
}

/** The JSON records of a fixture: the one document of a `.json` file, or each line of a `.jsonl` file. */
export function fixtureRecords(name: string): Record<string, unknown>[] {
  const text = readFixture(name).toString('utf8');
  if (!name.endsWith('.jsonl')) return [JSON.parse(text) as Record<string, unknown>];
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
