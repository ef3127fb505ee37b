/** `npm run content`: regenerate infra/generated from schemas/tables and kql/. */
import { writeInfraContent } from './infraContent.ts';

for (const path of writeInfraContent()) process.stdout.write(`wrote ${path}\n`);
