#!/usr/bin/env node
// Build step (after tsc and gen-validators): bundles the CLI and the scan worker from dist/ into
// dist/bundle/ with esbuild (issue 12, start-up): node then loads a few files instead of ~200 ES
// modules and CommonJS files, about 60 ms of CPU less per command. Verbs stay in their own chunks
// (loaded on demand); yazl stays external (zip-writer.ts patches the CRC helper of the copy that
// node resolves). The library API (dist/index.js) is not bundled.
import { build } from 'esbuild';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
const result = await build({
  absWorkingDir: repo,
  entryPoints: { cli: 'dist/cli/main.js', 'scan-worker-main': 'dist/pipeline/scan-worker-main.js' },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // jsonc-parser's "main" is a UMD build that requires its parts by computed names.
  mainFields: ['module', 'main'],
  external: ['yazl'],
  // CommonJS dependencies call require() for node built-ins. js-yaml 3 (inside gray-matter) requires
  // esprima, if present, for its `!!js/function` type; aext never parses YAML with js-yaml 3 (its
  // YAML engine is js-yaml 4 FAILSAFE, src/manifest/frontmatter.ts), so the bundle refuses to load
  // it: no JavaScript parser in reach of frontmatter, and ~10 ms less start-up.
  banner: {
    js: "import { createRequire as __aextCreateRequire } from 'node:module'; const __aextRequire = __aextCreateRequire(import.meta.url); const require = Object.assign((id) => { if (id === 'esprima') throw new Error('esprima is not part of the aext bundle'); return __aextRequire(id); }, __aextRequire);",
  },
  chunkNames: 'chunk-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
});
// Which modules each chunk holds (for start-up work: `node scripts/bundle-graph.mjs COMMAND`).
writeFileSync(path.join(out, 'meta.json'), JSON.stringify(result.metafile));
// ajv.ts loads the build-time validators from next to itself.
copyFileSync(path.join(repo, 'dist', 'manifest', 'validators.cjs'), path.join(out, 'validators.cjs'));
