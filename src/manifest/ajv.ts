/**
 * JSON Schema validation: the only module that imports ajv. Schemas are read
 * only from this package's `schemas/` directory, compiled in strict mode
 * (draft 2020-12), never with `$data`. ajv ≥ 8.18 is required (ReDoS fix in
 * pattern handling, GHSA-2g4f-4pwh-qvx6).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA_DIR = path.join(packageRoot(), 'schemas');
/**
 * Validators compiled at build time (scripts/gen-validators.mjs) next to this module: in
 * `dist/manifest/` and the CLI bundle's `dist/bundle/`; absent when running from the TypeScript sources.
 */
const STANDALONE = path.join(HERE, 'validators.cjs');
const require = createRequire(import.meta.url);

/** ajv options; scripts/gen-validators.mjs uses the same (validators.test.ts compares both). */
export const AJV_OPTIONS = Object.freeze({ strict: true, allErrors: true, $data: false, allowUnionTypes: true, unicodeRegExp: true });
const cache = new Map<string, ValidateFunction>();
let ajv: { compile(schema: unknown): ValidateFunction } | undefined;

/** Names of the bundled schemas. */
export type SchemaName = 'aext-manifest.v1' | 'aext-policy.v1';

/** The schema compiled at run time (ajv loaded on first use). */
export function compiledValidator(name: SchemaName): ValidateFunction {
  if (!ajv) {
    const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    ajv = new Ajv2020({ ...AJV_OPTIONS });
  }
  return ajv.compile(JSON.parse(readFileSync(path.join(SCHEMA_DIR, `${name}.schema.json`), 'utf8')));
}

/**
 * Returns the validator for a bundled schema (cached): the standalone code generated at
 * build time when present (no ajv load, no compilation at start-up), else compiled now.
 */
export function validator(name: SchemaName): ValidateFunction {
  let v = cache.get(name);
  if (!v) {
    const built = existsSync(STANDALONE) ? (require(STANDALONE) as Record<string, ValidateFunction>)[name] : undefined;
    v = built ?? compiledValidator(name);
    cache.set(name, v);
  }
  return v;
}

/** Formats ajv errors as short `path: message` lines. */
export function formatSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || '/';
    if (e.keyword === 'additionalProperties') return `${where}: unknown field ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`;
    if (e.keyword === 'enum') return `${where}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    return `${where}: ${e.message ?? e.keyword}`;
  });
}

/** Absolute path of the bundled schema directory. */
export const schemaDir = SCHEMA_DIR;
