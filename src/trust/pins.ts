/**
 * Update rules checked against the lockfile before commit (signing-anchors.md §4.4):
 * key pins with rotation (E_KEY_CHANGED), monotonic versions (E_DOWNGRADE,
 * E_VERSION_REUSED: a version is immutable), and the revocation/quarantine list
 * (E_KEY_REVOKED, E_QUARANTINED, E_REVOCATIONS_STALE). No I/O here: the caller
 * loads the lock entry, rotation statements and revocation list.
 */
import semver from 'semver';
import { AextError } from '../errors.js';
import { parsePublicKeyPem, publicKeyToPem, type PublicKey } from './ed25519.js';
import type { LockEntry } from '../store/lockfile.js';
import { followRotations, type ParsedRotation } from './rotation.js';
import { assertFresh, revocationFindings, type RevocationList, type RevocationRoots } from './revocations.js';

/** What the update rules decide for the new lock entry. */
export interface PinDecision {
  /** The key the lock pins after this install (absent for unsigned installs). */
  pinned_key?: { keyid: string; public_key: string };
  /** Further pinned keys: every other signer the user trusted at first install; each must sign updates too (or rotate). */
  co_pinned?: Array<{ keyid: string; public_key: string }>;
  /** How the pin was reached; `policy`: the policy's own keys sign for this publisher, so its threshold governs updates. */
  pin_source?: 'tofu' | 'pinned' | 'rotation' | 'policy';
  /** Key ids along the rotation chain that moved the pin (old → … → new). */
  rotated_from?: string[];
  /** Version this install replaced although lower (only with --allow-downgrade). */
  downgraded_from?: string;
}

/** Inputs of {@link checkUpdate}. */
export interface UpdateInput {
  previous: LockEntry | undefined;
  publisher: string;
  name: string;
  version: string;
  indexDigest: string;
  unsigned: boolean;
  /** Trusted keys whose signatures verified and are authorized; `origin: 'policy'` marks the policy's keys. */
  signers: ReadonlyArray<PublicKey & { origin?: string }>;
  /** Every trusted key whose public half is known (for rotation hops). */
  known: readonly PublicKey[];
  rotations: readonly ParsedRotation[];
  allowDowngrade: boolean;
  /** Stored revocation list and its roots (undefined: no policy roots configured). */
  revocations?: { roots: RevocationRoots; list?: RevocationList; required: boolean; source: string };
  now: Date;
}

const pem = (k: PublicKey) => ({ keyid: k.keyid, public_key: publicKeyToPem(k.raw) });

/**
 * An update signed by a key from the operator's policy (`trusted_keys`, scoped to this
 * publisher) is governed by the policy: its threshold was met when the archive was opened,
 * so the pins neither block nor replace it.
 */
const policyGoverned = (u: UpdateInput) => u.signers.some((s) => s.origin === 'policy');

/**
 * Applies the update rules.
 * @throws AextError E_REVOCATIONS_STALE, E_KEY_REVOKED, E_QUARANTINED, E_KEY_CHANGED,
 *   E_ROTATION_INVALID, E_DOWNGRADE, E_VERSION_REUSED.
 */
export function checkUpdate(u: UpdateInput): PinDecision {
  const id = `${u.publisher}/${u.name}@${u.version}`;
  if (u.revocations) {
    const r = u.revocations;
    if (!r.list) {
      if (r.required) throw new AextError('E_REVOCATIONS_STALE', `no revocation list is stored but the policy requires one; run \`aext revocations update FILE\``, { file: r.source });
    } else {
      assertFresh(r.list, r.roots, u.now, r.source);
      const f = revocationFindings(r.list, { signers: u.signers.map((s) => s.keyid), indexDigest: u.indexDigest, publisher: u.publisher, name: u.name, version: u.version });
      if (f.revoked.length) throw new AextError('E_KEY_REVOKED', `${id} is signed by revoked key ${f.revoked[0]!.keyid.slice(0, 16)}… (${f.revoked[0]!.reason})`, { keyids: f.revoked.map((x) => x.keyid) });
      if (f.quarantined.length) throw new AextError('E_QUARANTINED', `${id} is quarantined (${f.quarantined[0]!.versions}, ${f.quarantined[0]!.action})`, { entry: id });
    }
  }
  const decision: PinDecision = {};
  const p = u.previous;
  if (p) {
    if (semver.lt(u.version, p.version)) {
      if (!u.allowDowngrade) throw new AextError('E_DOWNGRADE', `${id} is older than the installed ${p.version}; pass --allow-downgrade to install it anyway`, { entry: id, installed: p.version });
      decision.downgraded_from = p.version;
    }
    if (semver.eq(u.version, p.version) && u.indexDigest !== p.index_digest) {
      throw new AextError('E_VERSION_REUSED', `${id} is already installed with different content (index ${p.index_digest.slice(0, 16)}…); a version is immutable`, { entry: id });
    }
    if (p.pinned_key && u.unsigned) throw new AextError('E_KEY_CHANGED', `${id}: the installed version is signed; an unsigned update is never accepted`, { entry: id });
    if (p.pinned_key && !policyGoverned(u)) {
      // Every pinned key must sign the update, directly or through its rotation chain: a
      // co-signer of the first install cannot ship an update alone (issue 10, class 9).
      const pins = [p.pinned_key, ...(p.co_pinned ?? [])].map((k, i) => parsePublicKeyPem(k.public_key, `aext-lock.json pinned key ${i}`));
      const moved = pins.map((pin) => followRotations(pin, u.signers, u.known, u.rotations, u.publisher));
      const keys = [...new Map(moved.map((m) => [m.key.keyid, m.key])).values()];
      decision.pinned_key = pem(keys[0]!);
      if (keys.length > 1) decision.co_pinned = keys.slice(1).map(pem);
      const chains = moved.filter((m) => m.chain.length);
      decision.pin_source = chains.length ? 'rotation' : 'pinned';
      if (chains.length) decision.rotated_from = chains.flatMap((m) => [m.chain[0]!.from, ...m.chain.map((c) => c.to)]);
      return decision;
    }
  }
  if (!u.unsigned && u.signers.length) {
    // Pin what the user trusted: every signer that verified (sorted), never one arbitrary co-signer.
    const all = [...u.signers].sort((a, b) => (a.keyid < b.keyid ? -1 : 1));
    decision.pinned_key = pem(all[0]!);
    if (all.length > 1) decision.co_pinned = all.slice(1).map(pem);
    decision.pin_source = policyGoverned(u) ? 'policy' : 'tofu';
  }
  return decision;
}
