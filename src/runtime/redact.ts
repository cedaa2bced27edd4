/**
 * Redaction of secrets in MCP server messages, with the scanner's secret
 * table ({@link SECRET_FORMATS}): every string anywhere in a JSON-RPC message
 * (results, errors, notifications, server requests) is rewritten, so a
 * server cannot hand a credential to the model through any field.
 */
import { SECRET_FORMATS } from '../scan/secret-table.js';

/** What one redaction pass replaced. */
export interface Redaction {
  /** Number of secrets replaced. */
  count: number;
  /** Kinds replaced (table `what` values), without the secrets. */
  kinds: string[];
}

/** Replaces every secret in one string; `seen` collects counts. */
export function redactText(s: string, seen: Redaction = { count: 0, kinds: [] }): string {
  let out = s;
  for (const f of SECRET_FORMATS) {
    f.re.lastIndex = 0;
    if (!f.re.test(out)) continue;
    f.re.lastIndex = 0;
    out = out.replace(f.re, () => {
      seen.count++;
      if (!seen.kinds.includes(f.what)) seen.kinds.push(f.what);
      return `[REDACTED by aext: ${f.what}]`;
    });
  }
  return out;
}

/**
 * Returns a copy of a parsed JSON value with every string (keys excluded) redacted.
 * @param v any JSON value (objects, arrays, strings, numbers, booleans, null).
 */
export function redactJson(v: unknown, seen: Redaction = { count: 0, kinds: [] }): unknown {
  if (typeof v === 'string') return redactText(v, seen);
  if (Array.isArray(v)) return v.map((x) => redactJson(x, seen));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    // defineProperty: a `__proto__` key from JSON.parse stays an own property, never a prototype.
    for (const [k, x] of Object.entries(v)) Object.defineProperty(o, k, { value: redactJson(x, seen), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v;
}
