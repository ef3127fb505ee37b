/**
 * Golden files: expected whole outputs kept in the repository. A missing golden file fails the test
 * (a fresh clone or CI must never pass by writing its own expectation); `UPDATE_GOLDEN=1` rewrites
 * them after an intended change, and the diff is reviewed like code.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect } from 'vitest';

/** True when the run was asked to rewrite golden files (`UPDATE_GOLDEN=1`). */
export function updatingGolden(): boolean {
  const v = process.env.UPDATE_GOLDEN;
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function missing(file: string): Error {
  return new Error(
    `golden file ${file} does not exist. Fix: run the test once with UPDATE_GOLDEN=1 to write it, then review and commit it`,
  );
}

/** Compares text with a golden file (or writes it under UPDATE_GOLDEN=1). */
export function expectGoldenText(file: string, actual: string): void {
  if (updatingGolden()) write(file, actual);
  if (!existsSync(file)) throw missing(file);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** Compares a JSON value with a golden JSON file (or writes it under UPDATE_GOLDEN=1). */
export function expectGoldenJson(file: string, actual: unknown): void {
  const plain: unknown = JSON.parse(JSON.stringify(actual));
  if (updatingGolden()) write(file, JSON.stringify(plain, null, 1) + '\n');
  if (!existsSync(file)) throw missing(file);
  expect(plain).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}
