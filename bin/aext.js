#!/usr/bin/env node
// Entry point (CONTRACT §1). The CLI is compiled to dist/ by `npm ci` (prepare).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
