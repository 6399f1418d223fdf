#!/usr/bin/env node
// The sfdaq command line (cli/main.ts). The CLI is TypeScript like the rest of
// the project; tsx (already how `npm start` runs) compiles it on the fly, so
// there is no build step between editing and running.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
