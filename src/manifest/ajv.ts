/**
 * JSON Schema validation: the only module that imports ajv. Schemas are read
 * only from this package's `schemas/` directory, compiled in strict mode
 * (draft 2020-12), never with `$data`. ajv ≥ 8.18 is required (ReDoS fix in
 * pattern handling, GHSA-2g4f-4pwh-qvx6).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

const ajv = new Ajv2020({ strict: true, allErrors: true, $data: false, allowUnionTypes: true, unicodeRegExp: true });
const cache = new Map<string, ValidateFunction>();

/** Names of the bundled schemas. */
export type SchemaName = 'aext-manifest.v1' | 'aext-policy.v1';

/** Returns the compiled validator for a bundled schema (cached). */
export function validator(name: SchemaName): ValidateFunction {
  let v = cache.get(name);
  if (!v) {
    const schema = JSON.parse(readFileSync(path.join(SCHEMA_DIR, `${name}.schema.json`), 'utf8'));
    v = ajv.compile(schema);
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
