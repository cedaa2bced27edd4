// Shared test helpers: temp dirs, CLI runner, error-code assertions, tree snapshots,
// and archive fixtures signed with real keys (hostile ones built with the raw zip writer).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fsp, readdirSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, afterAll } from 'vitest';
import { AextError } from '../errors.js';
import { generateKeyPair, privateKeyToPem, publicKeyToPem, type PrivateKey } from '../trust/ed25519.js';
import { createEnvelope, serializeEnvelope, serializeIndex, ENVELOPE_PATH, type Envelope, type Index } from '../trust/signed-index.js';
import { sha256Hex } from '../util/hash.js';
import { compareUtf8 } from '../util/paths.js';
// @ts-expect-error plain ESM helper without types
import { buildZip } from '../../scripts/lib/rawzip.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'bin', 'aext.js');
export const DEV_KEY = path.join(REPO, 'keys', 'DEV-ONLY-NOT-SECRET-signing-key');
export const SAMPLES = path.join(REPO, 'testdata', 'samples');
export const CORPUS = path.resolve(REPO, '..', 'shared', 'corpus');

const temps: string[] = [];
/** A fresh temp dir removed after the test file. */
export function tmpdir(prefix = 'aext-test-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Result of one CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs `node bin/aext.js ...args` (no TTY). Parses stdout as JSON when --json is given. */
export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, env: { ...process.env, NO_COLOR: '1', ...opts.env }, encoding: 'utf8', input: opts.input ?? '' });
  let json: unknown;
  if (args.includes('--json')) json = JSON.parse(r.stdout);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

/** Asserts that a promise rejects with an AextError of `code`; returns the error. */
export async function expectAextError(p: Promise<unknown>, code: string): Promise<AextError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AextError);
    expect((e as AextError).code, (e as Error).message).toBe(code);
    return e as AextError;
  }
  throw new Error(`expected rejection with ${code}, but it resolved`);
}

/** Asserts a sync function throws an AextError with `code`. */
export function expectThrowCode(fn: () => unknown, code: string): AextError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AextError);
    expect((e as AextError).code, (e as Error).message).toBe(code);
    return e as AextError;
  }
  throw new Error(`expected throw with ${code}`);
}

/** Snapshot of a tree: relative path -> "d" | "l:<target>" | "f:<mode>:<sha256>". */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(path.join(dir, rel));
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = rel ? `${rel}/${n}` : n;
      const st = lstatSync(path.join(dir, p));
      if (st.isDirectory()) {
        out[p] = 'd';
        walk(p);
      } else if (st.isSymbolicLink()) out[p] = 'l';
      else out[p] = `f:${(st.mode & 0o7777).toString(8)}:${sha256Hex(readFileSync(path.join(dir, p)))}`;
    }
  };
  walk('');
  return out;
}

/** Files other than empty working directories under an install root (what "left behind" means). */
export function leftovers(root: string): string[] {
  const s = snapshot(root);
  return Object.keys(s).filter((p) => (p.startsWith('.staging/') || p.startsWith('.trash/') || p === '.journal.json' || p === '.lock' || p.endsWith('.tmp')));
}

/** A fresh key pair written as PEM files under `dir`. */
export async function newKey(dir: string, name = 'k'): Promise<{ key: PrivateKey; priv: string; pub: string }> {
  const key = generateKeyPair();
  const priv = path.join(dir, `${name}.pem`);
  const pub = path.join(dir, `${name}.pub.pem`);
  await fsp.writeFile(priv, privateKeyToPem(key.seed), { mode: 0o600 });
  await fsp.writeFile(pub, publicKeyToPem(key.publicKey.raw));
  return { key, priv, pub };
}

/** A valid skill manifest + SKILL.md for fixtures. */
export function skillFiles(name = 'fixture', version = '1.0.0', publisher = 'tester', permissions?: object): Array<{ name: string; data: Buffer }> {
  return [
    { name: 'aext.json', data: Buffer.from(JSON.stringify({ aext_version: 1, name, publisher, version, kind: 'skill', description: 'A test fixture skill.', ...(permissions ? { permissions } : {}) })) },
    { name: 'SKILL.md', data: Buffer.from(`---\nname: ${name}\ndescription: A test fixture skill used by aext tests.\n---\n\n# Fixture\n\nSay hello.\n`) },
  ];
}

/** Raw entry for buildZip. */
export type RawEntry = { name: string | Buffer; data?: Buffer; [k: string]: unknown };

/**
 * Builds a zip with the raw writer, appending a DSSE envelope whose INDEX lists
 * every non-directory entry (by name, size and sha256; `executable: true` on an entry sets the
 * INDEX flag) signed by `keys`.
 * `index` may rewrite the INDEX; `envelope` may rewrite the envelope;
 * `zipOpts` goes to buildZip; `noEnvelope` leaves the envelope out.
 */
export function signedRawZip(
  entries: RawEntry[],
  keys: PrivateKey[],
  o: { indexFrom?: RawEntry[]; index?: (ix: Index) => Index; envelope?: (e: Envelope) => Envelope; zipOpts?: object; noEnvelope?: boolean; identity?: { publisher: string; name: string; version: string } } = {},
): Buffer {
  const id = o.identity ?? { publisher: 'tester', name: 'fixture', version: '1.0.0' };
  const files = (o.indexFrom ?? entries)
    .filter((e) => !String(e.name).endsWith('/'))
    .map((e) => ({ path: Buffer.isBuffer(e.name) ? e.name.toString('utf8') : e.name, size: (e.data ?? Buffer.alloc(0)).length, sha256: sha256Hex(e.data ?? Buffer.alloc(0)), ...(e.executable === true ? { executable: true as const } : {}) }))
    .sort((a, b) => compareUtf8(a.path, b.path));
  let index: Index = { aext_index: 1, ...id, files };
  if (o.index) index = o.index(index);
  let env = createEnvelope(serializeIndex(index), keys);
  if (o.envelope) env = o.envelope(env);
  const all = o.noEnvelope ? entries : [{ name: ENVELOPE_PATH, data: serializeEnvelope(env) }, ...entries];
  return buildZip(all, o.zipOpts ?? {});
}
