/**
 * Install policy: loading (schema-validated, fail closed) and the pure
 * decision (manifest, signers, findings, policy) → allow | deny with every reason.
 */
import { trimEnd } from '../util/trim.js';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AextError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { Manifest, Permissions, Severity } from '../types.js';
import { parseStrictJson } from '../util/json.js';
import { formatSchemaErrors, validator } from '../manifest/ajv.js';
import { hostAllowed } from '../util/host-allowlist.js';
import { globMatch } from '../util/glob.js';
import type { KeyRecord } from '../trust/trusted-keys.js';

/** A parsed policy file (schemas/aext-policy.v1.schema.json). */
export interface Policy {
  policy_version: 1;
  allow_unsigned?: boolean;
  require_confirmation?: boolean;
  allowed_kinds?: Array<Manifest['kind']>;
  blocked_publishers?: string[];
  blocked_names?: string[];
  permissions_ceiling?: Permissions;
  /**
   * `fail_on`: blocking severity. `review`: a review verdict is confirmed at the prompt (or by
   * --yes) with `confirm` (default), refused with `deny`. `allow_unvetted`: path globs whose
   * unvetted content is review instead of block.
   */
  scan?: { fail_on?: Severity; review?: 'confirm' | 'deny'; allow_unvetted?: string[] };
  limits?: Partial<Limits>;
  /** Distinct authorized signatures required (default 1). */
  threshold?: number;
  /** Keys this policy trusts, each scoped to a publisher and name globs. */
  trusted_keys?: KeyRecord[];
  /** Revocation list roots: verified at `threshold`, `grace_seconds` after expiry, `required` (default true). */
  revocation?: { root_keys: string[]; threshold?: number; grace_seconds?: number; required?: boolean };
  /** Whether --allow-downgrade may be used (default true). */
  allow_downgrade?: boolean;
  /** `aext run` / `aext exec`: may --no-sandbox be used (default true, loudly); blocking severity for MCP item descriptions. */
  runtime?: { allow_no_sandbox?: boolean; tool_fail_on?: Severity };
}

/** The policy in force when no --policy is given: signature required, confirmation required, --allow-unsigned usable. */
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({ policy_version: 1, allow_unsigned: true, require_confirmation: true });

/**
 * Validates policy JSON text.
 * @throws AextError E_POLICY_INVALID listing every schema error.
 */
export function parsePolicy(text: string, file = 'policy'): Policy {
  let v: unknown;
  try {
    v = parseStrictJson(text);
  } catch (e) {
    throw new AextError('E_POLICY_INVALID', `${file}: not strict JSON (${(e as Error).message})`, { file });
  }
  return checkPolicy(v, file);
}

/**
 * Validates a policy given as a value (library callers): exactly the checks a policy file gets,
 * so `install({ policy: { threshold: '2 of 3' } })` is refused instead of becoming NaN.
 * Already-checked policies (from {@link parsePolicy}) pass again unchanged.
 * @throws AextError E_POLICY_INVALID listing every schema error.
 */
export function checkPolicy(v: unknown, file = 'policy'): Policy {
  if (v === DEFAULT_POLICY) return DEFAULT_POLICY;
  const validate = validator('aext-policy.v1');
  if (!validate(v)) {
    const errors = formatSchemaErrors(validate.errors);
    throw new AextError('E_POLICY_INVALID', `${file}: ${errors.slice(0, 5).join('; ')}`, { file, errors });
  }
  const p = v as Policy;
  // A date that does not parse would otherwise never expire: refuse the policy (fail closed).
  const badDate = (p.trusted_keys ?? []).findIndex((k) => k.not_after !== undefined && Number.isNaN(Date.parse(k.not_after)));
  if (badDate >= 0) throw new AextError('E_POLICY_INVALID', `${file}: trusted_keys[${badDate}].not_after is not a date`, { file });
  return { allow_unsigned: false, require_confirmation: true, ...p };
}

/** Reads and validates a policy file. @throws AextError E_POLICY_INVALID (also for unreadable files: fail closed). */
export async function loadPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new AextError('E_POLICY_INVALID', `${file}: cannot read policy (${(e as Error).message}); denying`, { file }, { cause: e });
  }
  return parsePolicy(text, file);
}

export { globMatch };

/** POSIX normalisation that keeps a leading `~` or `./` meaning; `..` is resolved, never compared as text. */
const normPath = (p: string) => {
  const n = path.posix.normalize(p.replace(/\\/g, '/'));
  return n.length > 1 ? trimEnd(n, '/') || '/' : n;
};
/** Is declared path `p` inside one of the ceiling's `roots`, after normalising both (`~/projects/../.ssh` is `~/.ssh`)? */
const underPath = (p: string, roots: readonly string[]) => {
  const q = normPath(p);
  if (q === '..' || q.startsWith('../') || q.split('/').includes('..')) return false;
  return roots.some((r0) => {
    if (r0 === '*') return true;
    const r = normPath(r0);
    return q === r || q.startsWith(r === '/' ? '/' : r + '/');
  });
};

/**
 * The pure policy decision.
 * @returns `{ allow, reasons }`: every reason for denial, none when allowed.
 */
export function evaluatePolicy(input: { manifest: Manifest; policy: Policy }): { allow: boolean; reasons: string[] } {
  const { manifest: m, policy: p } = input;
  const reasons: string[] = [];
  if (p.allowed_kinds && !p.allowed_kinds.includes(m.kind)) reasons.push(`kind ${m.kind} is not in allowed_kinds`);
  if (p.blocked_publishers?.includes(m.publisher)) reasons.push(`publisher ${m.publisher} is blocked`);
  for (const g of p.blocked_names ?? []) if (globMatch(g, `${m.publisher}/${m.name}`)) reasons.push(`${m.publisher}/${m.name} matches blocked name ${g}`);
  const c = p.permissions_ceiling;
  const req = m.permissions ?? {};
  if (c) {
    if (req.shell && !c.shell) reasons.push('requests shell, which the permissions ceiling does not grant');
    for (const h of req.network?.hosts ?? []) {
      const host = h.replace(/^\*\./, 'wildcard.').replace(/:\d+$/, '');
      const ok = (c.network?.hosts ?? []).some((g) => g === h || (!h.startsWith('*.') && hostAllowed(host, [g])) || globMatch(g, h));
      if (!ok) reasons.push(`requests network host ${h} beyond the ceiling`);
    }
    for (const k of ['read', 'write'] as const) {
      for (const f of req.filesystem?.[k] ?? []) if (!underPath(f, c.filesystem?.[k] ?? [])) reasons.push(`requests filesystem ${k} ${f} beyond the ceiling`);
    }
    for (const e of req.env ?? []) if (!(c.env ?? []).some((g) => globMatch(g, e))) reasons.push(`requests env ${e} beyond the ceiling`);
  }
  return { allow: reasons.length === 0, reasons };
}

/** One-line-per-item summary of requested permissions (for confirmation prompts). */
export function describePermissions(p: Permissions | undefined): string[] {
  const out: string[] = [];
  if (!p) return ['(none)'];
  if (p.shell) out.push('shell: run commands');
  for (const h of p.network?.hosts ?? []) out.push(`network: ${h}`);
  for (const f of p.filesystem?.read ?? []) out.push(`read: ${f}`);
  for (const f of p.filesystem?.write ?? []) out.push(`write: ${f}`);
  for (const e of p.env ?? []) out.push(`env: ${e}`);
  return out.length ? out : ['(none)'];
}
