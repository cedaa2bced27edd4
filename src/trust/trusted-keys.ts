/**
 * Trusted keys and their scopes (TUF-style name-scoped delegation, TUF spec
 * §2.1.2 "delegated roles"; signing-anchors.md §4.4). A key given with --pub is
 * trusted for that one install whatever the name; keys from the trust store or a
 * policy are scoped to one publisher and to name globs, and may expire.
 */
import { parsePublicKeyPem, type PublicKey } from './ed25519.js';
import { globMatch } from '../util/glob.js';

/** A public key with where its trust comes from and what it may sign. */
export interface TrustedKey extends PublicKey {
  /** `cli`: --pub, unscoped; `store`: ROOT/trust; `policy`: the policy file. */
  origin: 'cli' | 'store' | 'policy';
  /** Publisher the key may sign for (scoped origins). */
  publisher?: string;
  /** Name globs the key may sign (scoped origins); `*` matches any run without `/`. */
  names?: string[];
  /** ISO 8601 instant after which the key signs nothing new. */
  not_after?: string;
}

/** How a stored or policy key is written in JSON. */
export interface KeyRecord {
  /** SPKI PEM text. */
  public_key: string;
  publisher: string;
  names: string[];
  not_after?: string;
}

/**
 * Parses a key record (strict Ed25519 SPKI; weak keys refused).
 * @throws AextError E_KEY_FORMAT, E_KEY_WEAK.
 */
export function keyFromRecord(r: KeyRecord, origin: 'store' | 'policy', source: string): TrustedKey {
  const k = parsePublicKeyPem(r.public_key, source);
  return { ...k, origin, publisher: r.publisher, names: r.names, ...(r.not_after ? { not_after: r.not_after } : {}) };
}

/** Wraps --pub keys: unscoped, for this install only. */
export function cliKeys(keys: readonly PublicKey[]): TrustedKey[] {
  return keys.map((k) => ({ ...k, origin: 'cli' as const }));
}

/** True when `k` may sign `publisher/name` (scope only; expiry is separate). */
export function keyAuthorizes(k: TrustedKey, publisher: string, name: string): boolean {
  if (k.origin === 'cli') return true;
  return k.publisher === publisher && (k.names ?? []).some((g) => globMatch(g, name));
}

/** True when `k` has expired at `now`; a `not_after` that does not parse as a date counts as expired (fail closed). */
export function keyExpired(k: TrustedKey, now: Date): boolean {
  if (k.not_after === undefined) return false;
  const t = Date.parse(k.not_after);
  return Number.isNaN(t) || t <= now.getTime();
}
