/**
 * Operator baselines (auditable suppressions, after SkillSpector's evidence-bound
 * fingerprints): each entry names a rule id, a package path, the SHA-256 of the
 * matched evidence and a reason, so it stops matching as soon as the content
 * changes. Baselines come only from the operator (a file given on the command line
 * or through the API); nothing inside an archive is ever read as a suppression,
 * because the archive is attacker-controlled.
 */
import { AextError } from '../errors.js';
import type { Finding } from '../types.js';
import { parseStrictJson } from '../util/json.js';
import { sha256Hex } from '../util/hash.js';

/** One suppression. */
export interface BaselineEntry {
  rule: string;
  path: string;
  /** Hex SHA-256 of the finding's `evidence` string (UTF-8). */
  sha256: string;
  reason: string;
}

/** A baseline file: `{"aext_baseline": 1, "entries": [...]}`. */
export interface Baseline {
  aext_baseline: 1;
  entries: BaselineEntry[];
}

/** A suppressed finding with the operator's reason. */
export type Suppressed = Finding & { reason: string };

/** The fingerprint a baseline entry must carry for `f`. */
export function fingerprint(f: Finding): string {
  return sha256Hex(f.evidence);
}

/**
 * Checks baseline JSON text.
 * @param file name for messages.
 * @throws AextError E_POLICY_INVALID (fail closed: a bad baseline suppresses nothing and stops the run).
 */
export function parseBaseline(text: string, file: string): Baseline {
  let v: unknown;
  try {
    v = parseStrictJson(text);
  } catch (e) {
    throw new AextError('E_POLICY_INVALID', `${file}: not strict JSON (${(e as Error).message})`, { file });
  }
  const b = v as Baseline;
  if (!b || b.aext_baseline !== 1 || !Array.isArray(b.entries)) throw new AextError('E_POLICY_INVALID', `${file}: not an aext baseline v1`, { file });
  for (const e of b.entries) {
    const ok = e && typeof e.rule === 'string' && typeof e.path === 'string' && /^[0-9a-f]{64}$/.test(e.sha256) && typeof e.reason === 'string' && e.reason.trim().length > 0 && Object.keys(e).length === 4;
    if (!ok) throw new AextError('E_POLICY_INVALID', `${file}: each entry needs exactly rule, path, sha256 (hex) and a non-empty reason`, { file });
  }
  return b;
}

/** Splits findings into kept and suppressed by the baseline. */
export function applyBaseline(findings: readonly Finding[], baseline: Baseline | undefined): { findings: Finding[]; suppressed: Suppressed[] } {
  if (!baseline) return { findings: [...findings], suppressed: [] };
  const kept: Finding[] = [];
  const suppressed: Suppressed[] = [];
  for (const f of findings) {
    const hit = baseline.entries.find((e) => e.rule === f.rule && e.path === f.file && e.sha256 === fingerprint(f));
    if (hit) suppressed.push({ ...f, reason: hit.reason });
    else kept.push(f);
  }
  return { findings: kept, suppressed };
}

/** A baseline that suppresses exactly `findings` (for `aext scan --write-baseline`). */
export function baselineFor(findings: readonly Finding[], reason: string): Baseline {
  return { aext_baseline: 1, entries: findings.map((f) => ({ rule: f.rule, path: f.file, sha256: fingerprint(f), reason })) };
}
