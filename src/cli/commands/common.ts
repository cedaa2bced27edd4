/** Helpers shared by command files: repeatable flags, key loading, severity parsing. */
import { AextError, SEVERITIES, loadPrivateKey, loadPublicKey, type PrivateKey, type PublicKey, type Severity } from '../../index.js';

/** Commander collector for repeatable flags. */
export const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Loads every --pub key. */
export async function pubKeys(files: string[] | undefined): Promise<PublicKey[]> {
  return Promise.all((files ?? []).map((f) => loadPublicKey(f)));
}

/** Loads every private key. */
export async function privKeys(files: string[] | undefined): Promise<PrivateKey[]> {
  return Promise.all((files ?? []).map((f) => loadPrivateKey(f)));
}

/** Parses a severity flag. @throws AextError E_USAGE. */
export function severity(v: string | undefined, def: Severity = 'high'): Severity {
  if (v === undefined) return def;
  if (!(SEVERITIES as readonly string[]).includes(v)) throw new AextError('E_USAGE', `--fail-on must be one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}

/** Renders findings for humans. */
export function renderFindings(findings: ReadonlyArray<{ severity: string; rule: string; file: string; line: number; column: number; message: string; evidence: string }>): string {
  return findings.map((f) => `  ${f.severity.padEnd(8)} ${f.rule}  ${f.file}${f.line ? `:${f.line}:${f.column}` : ''}  ${f.message}${f.evidence ? `  [${f.evidence}]` : ''}`).join('\n');
}
