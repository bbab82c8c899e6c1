#!/usr/bin/env node
// The `ponder` command. TypeScript sources run through tsx's loader so that a fresh
// clone works after `npm ci` with no separate compile step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
