/**
 * Strict JSON for security-relevant documents (INDEX, envelope, manifest,
 * lockfile, policy). `JSON.parse` keeps the last of duplicate keys, which lets
 * two parsers read one document differently; RFC 8259 §4 leaves it undefined
 * and I-JSON (RFC 7493 §2.3) forbids it. {@link parseStrictJson} refuses it.
 */

/** Thrown by {@link parseStrictJson}; callers map it to their own AextError code. */
export class StrictJsonError extends Error {}

/**
 * Parses UTF-8 JSON text, refusing duplicate object keys, lone surrogates,
 * a byte-order mark and trailing content.
 * @param text the JSON text.
 * @returns the parsed value.
 * @throws StrictJsonError with a one-line reason.
 */
export function parseStrictJson(text: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) throw new StrictJsonError('byte-order mark before JSON');
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (why: string): never => {
    throw new StrictJsonError(`${why} at offset ${i}`);
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') break;
      if (c === '\\') i += 2;
      else if (c < ' ') fail('control character in string');
      else i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    const s = JSON.parse(text.slice(start, i)) as string;
    if (!s.isWellFormed()) fail('lone surrogate in string');
    return s;
  };
  const value = (depth: number): unknown => {
    if (depth > 64) fail('nesting deeper than 64');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = Object.create(null);
      const keys = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return { ...out };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        if (keys.has(k)) fail(`duplicate key ${JSON.stringify(k)}`);
        keys.add(k);
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        out[k] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          break;
        }
        fail('expected "," or "}"');
      }
      // Plain object (no null prototype) but never via __proto__ setter.
      const plain: Record<string, unknown> = {};
      for (const k of Object.keys(out)) Object.defineProperty(plain, k, { value: out[k], enumerable: true, writable: true, configurable: true });
      return plain;
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          break;
        }
        fail('expected "," or "]"');
      }
      return arr;
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail('unexpected token');
    i += m![0].length;
    return JSON.parse(m![0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing content after JSON');
  return v;
}

/**
 * Canonical JSON (RFC 8785 JCS for the I-JSON subset aext writes): object keys
 * sorted by UTF-16 code units, no whitespace. Used for digests of lock entries.
 * @throws Error on non-finite numbers.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('non-finite number in canonical JSON');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return (
      '{' +
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k]))
        .join(',') +
      '}'
    );
  }
  throw new Error(`cannot serialise ${typeof v} as JSON`);
}
