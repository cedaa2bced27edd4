// The standalone validators generated at build time (dist/manifest/validators.cjs, used by the
// CLI) must decide exactly like the schemas compiled at run time (used from the sources).
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { compiledValidator } from './ajv.js';
import { REPO, SAMPLES } from '../test-helpers/index.js';
import { readFileSync } from 'node:fs';

const standalone = createRequire(import.meta.url)(path.join(REPO, 'dist', 'manifest', 'validators.cjs')) as Record<string, ValidateFunction>;

describe('standalone validators = compiled schemas', () => {
  const manifests: unknown[] = [
    ...['hello-skill', 'echo-mcp', 'notes-plugin'].map((s) => JSON.parse(readFileSync(path.join(SAMPLES, s, 'aext.json'), 'utf8'))),
    { aext_version: 1, name: 'Bad Name', publisher: 'p', version: '1.0.0', kind: 'skill', description: 'x' },
    { aext_version: 1, name: 'x', publisher: 'p', version: '1.0', kind: 'skill', description: 'x' },
    { aext_version: 1, name: 'x', publisher: 'p', version: '1.0.0', kind: 'skill', description: 'x', extra: 1 },
    { aext_version: 1, name: 'x', publisher: 'p', version: '1.0.0', kind: 'skill', description: 'x', permissions: { network: { hosts: ['a b'] } } },
    { aext_version: 2 },
  ];
  const policies: unknown[] = [{ policy_version: 1 }, { policy_version: 1, threshold: '2 of 3' }, { policy_version: 1, runtime: { allow_no_sandbox: false } }, { policy_version: 1, limits: { maxMcpMessageBytes: 10 } }, { policy_version: 1, scan: { fail_on: 'medium' } }];
  for (const [name, docs] of [['aext-manifest.v1', manifests], ['aext-policy.v1', policies]] as const) {
    it(`${name}: same verdicts and errors on ${docs.length} documents`, () => {
      const a = standalone[name]!;
      const b = compiledValidator(name);
      for (const d of docs) {
        const va = a(d);
        const vb = b(d);
        expect(va, JSON.stringify(d)).toBe(vb);
        expect((a.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`), JSON.stringify(d)).toEqual((b.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`));
      }
      expect(docs.some((d) => a(d)) && docs.some((d) => !a(d))).toBe(true);
    });
  }
});
