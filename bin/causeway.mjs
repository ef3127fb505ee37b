#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so `npx causeway` works on a fresh
// clone after `npm ci` with no build step. The Azure Functions app uses the compiled `dist/`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
