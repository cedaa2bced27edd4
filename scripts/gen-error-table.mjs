#!/usr/bin/env node
// Rewrites the error-code table in README.md from src/errors.ts (via dist/) between the
// <!-- errors:start --> and <!-- errors:end --> markers. A test checks the README lists every code.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../dist/errors.js';

const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const rows = Object.entries(ERROR_CODES).map(([k, v]) => `| \`${k}\` | ${v.exit} | ${v.summary.replace(/\|/g, '\\|')} |`);
const table = ['| code | exit | meaning |', '|---|---|---|', ...rows].join('\n');
const text = readFileSync(readme, 'utf8');
const next = text.replace(/<!-- errors:start -->[\s\S]*<!-- errors:end -->/, `<!-- errors:start -->\n${table}\n<!-- errors:end -->`);
if (next === text && !text.includes('<!-- errors:start -->')) throw new Error('README has no errors markers');
writeFileSync(readme, next);
