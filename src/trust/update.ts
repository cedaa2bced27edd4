/**
 * Update rules checked against the lockfile before commit (signing-anchors.md §4.4):
 * key pins with rotation (E_KEY_CHANGED), monotonic versions (E_DOWNGRADE,
 * E_VERSION_REUSED: a version is immutable), and the revocation/quarantine list
 * (E_KEY_REVOKED, E_QUARANTINED, E_REVOCATIONS_STALE). No I/O here: the caller
 * loads the lock entry, rotation statements and revocation list.
 */
import semver from 'semver';
import { AextError } from '../errors.js';
import { parsePublicKeyPem, publicKeyToPem, type PublicKey } from '../crypto/keys.js';
import type { LockEntry } from '../store/lockfile.js';
import { followRotations, type ParsedRotation } from './rotation.js';
import { assertFresh, revocationFindings, type RevocationList, type RevocationRoots } from './revocations.js';

/** What the update rules decide for the new lock entry. */
export interface PinDecision {
  /** The key the lock pins after this install (absent for unsigned installs). */
  pinned_key?: { keyid: string; public_key: string };
  /** How the pin was reached. */
  pin_source?: 'tofu' | 'pinned' | 'rotation';
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
  /** Trusted keys whose signatures verified and are authorized (sorted by key id). */
  signers: readonly PublicKey[];
  /** Every trusted key whose public half is known (for rotation hops). */
  known: readonly PublicKey[];
  rotations: readonly ParsedRotation[];
  allowDowngrade: boolean;
  /** Stored revocation list and its roots (undefined: no policy roots configured). */
  revocations?: { roots: RevocationRoots; list?: RevocationList; required: boolean; source: string };
  now: Date;
}

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
    if (p.pinned_key) {
      if (u.unsigned) throw new AextError('E_KEY_CHANGED', `${id}: the installed version is signed; an unsigned update is never accepted`, { entry: id });
      const pinned = parsePublicKeyPem(p.pinned_key.public_key, 'aext-lock.json pinned_key');
      const { key, chain } = followRotations(pinned, u.signers, u.known, u.rotations, u.publisher);
      decision.pinned_key = { keyid: key.keyid, public_key: publicKeyToPem(key.raw) };
      decision.pin_source = chain.length ? 'rotation' : 'pinned';
      if (chain.length) decision.rotated_from = [chain[0]!.from, ...chain.map((c) => c.to)];
      return decision;
    }
  }
  if (!u.unsigned && u.signers.length) {
    const first = [...u.signers].sort((a, b) => (a.keyid < b.keyid ? -1 : 1))[0]!;
    decision.pinned_key = { keyid: first.keyid, public_key: publicKeyToPem(first.raw) };
    decision.pin_source = 'tofu';
  }
  return decision;
}
