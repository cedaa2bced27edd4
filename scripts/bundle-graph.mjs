#!/usr/bin/env node
// Lists the source modules a CLI command loads at start (static imports from the bundle entry and
// the command's chunks), largest first: where start-up time goes. Usage: node scripts/bundle-graph.mjs install
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const meta = JSON.parse(readFileSync(path.join(repo, 'dist', 'bundle', 'meta.json'), 'utf8'));
const command = process.argv[2] ?? 'install';
const outputs = meta.outputs;
const byEntry = (src) => Object.keys(outputs).find((o) => outputs[o].entryPoint === src || Object.keys(outputs[o].inputs).includes(src));
// Start from the CLI entry, follow static imports; then the chunks holding the command's modules, statically.
const seen = new Set();
const walk = (o) => {
  if (!o || seen.has(o)) return;
  seen.add(o);
  for (const i of outputs[o].imports) if (i.kind === 'import-statement' && outputs[i.path]) walk(i.path);
};
walk(byEntry('dist/cli/main.js'));
walk(byEntry(`dist/cli/commands/${command}.js`));
walk(byEntry(`dist/${command}.js`));
const inputs = [];
for (const o of seen) for (const [src, v] of Object.entries(outputs[o].inputs)) inputs.push([src, v.bytesInOutput]);
inputs.sort((a, b) => b[1] - a[1]);
console.log(`${command}: ${seen.size} chunks, ${inputs.length} modules, ${(inputs.reduce((n, [, b]) => n + b, 0) / 1024).toFixed(0)} KiB`);
for (const [src, b] of inputs.slice(0, Number(process.argv[3] ?? 40))) console.log(`${(b / 1024).toFixed(1).padStart(7)} KiB  ${src}`);
