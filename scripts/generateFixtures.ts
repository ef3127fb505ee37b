/**
 * `npm run fixtures [-- <reference dir>]`: regenerates the committed fixtures under test/fixtures/
 * that are extracted from the research notes in ../shared/reference (Azure resource types for the
 * Bicep type check, the Azure-Sentinel repository's validation rules for the content tests).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../src/repoPath.ts';
import { writeAzureTypesFixture } from './extractAzureTypes.ts';
import { writeSentinelValidationFixtures } from './extractSentinelValidation.ts';

const referenceDir = resolve(process.argv[2] ?? resolve(REPO_ROOT, '..', 'shared', 'reference'));
if (!existsSync(referenceDir)) {
  process.stderr.write(
    `The reference folder ${referenceDir} does not exist: pass the path of shared/reference as the first argument.\n`,
  );
  process.exit(1);
}
for (const path of [writeAzureTypesFixture(referenceDir), ...writeSentinelValidationFixtures(referenceDir)])
  process.stdout.write(`wrote ${path}\n`);
