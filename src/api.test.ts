// The public API (src/index.ts, the package root): the contract's verbs are there, load their
// modules on first call, and pass results and AextError codes through unchanged.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import * as api from './index.js';
import { newKey, SAMPLES, tmpdir } from './test-helpers/index.js';

describe('public API', () => {
  it('exports the contract verbs (CONTRACT §1) as functions', () => {
    for (const n of ['pack', 'verify', 'install', 'scan', 'check', 'validate', 'init', 'inspect', 'sign', 'list', 'uninstall', 'audit', 'run', 'exec', 'approve', 'connect', 'configure'] as const) {
      expect(typeof api[n], n).toBe('function');
    }
  });
  it('pack → verify → install through the package root, results unchanged', async () => {
    const dir = tmpdir();
    const k = await newKey(dir);
    const out = path.join(dir, 'h.aext');
    const p = await api.pack(path.join(SAMPLES, 'hello-skill'), { out, keys: [await api.loadPrivateKey(k.priv)] });
    const pub = await api.loadPublicKey(k.pub);
    const v = await api.verify(out, [pub]);
    expect(v.signers).toEqual([pub.keyid]);
    expect(v.files).toBe(p.files);
    const i = await api.install(out, { pub: [pub], root: path.join(dir, 'root'), yes: true, useTrustStore: false });
    expect((await api.list({ root: path.join(dir, 'root') })).extensions.map((e) => e.name)).toEqual([i.name]);
    const sarif = (await api.toSarif([{ findings: i.findings }], api.VERSION)) as { version: string };
    expect(sarif.version).toBe('2.1.0');
  });
  it('errors keep their AextError codes', async () => {
    const err = await api.inspect(path.join(tmpdir(), 'missing.aext')).catch((e: unknown) => e);
    expect(api.isAextError(err)).toBe(true);
    expect((err as api.AextError).code).toBe('E_NOT_FOUND');
  });
});
