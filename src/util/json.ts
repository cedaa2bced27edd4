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
  // Fast path: JSON.parse (the same RFC 8259 grammar) merges duplicate keys, so a document whose
  // parsed objects hold as many keys as its text has key tokens has none; strings are checked for
  // lone surrogates and nesting for depth on the parsed value. Anything else is parsed again below,
  // which says exactly what is wrong and where.
  let fast: unknown;
  try {
    fast = JSON.parse(text);
  } catch {
    return parseCarefully(text);
  }
  return checkParsed(fast, 0) === countKeys(text) ? fast : parseCarefully(text);
}

/**
 * Number of object keys in valid JSON text (strings followed by a colon), found by jumping from
 * quote to quote (`indexOf`), so a long string value costs a memchr, not a regex step per character.
 * Linear: each run of backslashes is counted once, by the quote that follows it.
 */
function countKeys(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0; ) {
    let end = i + 1;
    for (;;) {
      const q = text.indexOf('"', end);
      if (q < 0) return n;
      let slashes = 0;
      for (let k = q - 1; text.charCodeAt(k) === 0x5c; k--) slashes++;
      end = q + 1;
      if (slashes % 2 === 0) break;
    }
    let k = end;
    for (let c = text.charCodeAt(k); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++k));
    if (text.charCodeAt(k) === 0x3a) n++;
    i = text.indexOf('"', k);
  }
  return n;
}

/**
 * Number of object keys in a parsed value, or -1 when a string is not well formed (a lone
 * surrogate) or nesting is deeper than 64 (the checks {@link parseCarefully} makes).
 */
function checkParsed(v: unknown, depth: number): number {
  if (depth > 64) return -1;
  if (typeof v === 'string') return v.isWellFormed() ? 0 : -1;
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) {
      const k = checkParsed(x, depth + 1);
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  const o = v as Record<string, unknown>;
  // JSON.parse makes plain objects whose own keys are the only enumerable ones.
  for (const key in o) {
    const k = checkParsed(o[key], depth + 1);
    if (k < 0 || !key.isWellFormed()) return -1;
    n += k + 1;
  }
  return n;
}

/** The character-by-character strict parser: slower, and names the first problem. */
function parseCarefully(text: string): unknown {
  let i = 0;
  const ws = () => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++i));
  };
  const fail = (why: string): never => {
    throw new StrictJsonError(`${why} at offset ${i}`);
  };
  const str = (): string => {
    const start = i;
    // The common case, no escape: the characters between the quotes are the value.
    PLAIN.lastIndex = i + 1;
    PLAIN.test(text);
    i = PLAIN.lastIndex;
    let escaped = false;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
      } else if (c < 0x20) fail('control character in string');
      else i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    const s = escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
    if (!s.isWellFormed()) fail('lone surrogate in string');
    return s;
  };
  const value = (depth: number): unknown => {
    if (depth > 64) fail('nesting deeper than 64');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      // A plain object whose keys are defined, never assigned: `__proto__` is an ordinary key.
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        if (Object.prototype.hasOwnProperty.call(out, k)) fail(`duplicate key ${JSON.stringify(k)}`);
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        Object.defineProperty(out, k, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
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
      return out;
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
    SCALAR.lastIndex = i;
    const m = SCALAR.exec(text);
    if (!m) fail('unexpected token');
    i += m![0].length;
    return m![0] === 'true' ? true : m![0] === 'false' ? false : m![0] === 'null' ? null : Number(m![0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing content after JSON');
  return v;
}

/** Characters a JSON string may hold without an escape, as a run (sticky). */
const PLAIN = /[^"\\\u0000-\u001f]*/y;
/** A JSON number (RFC 8259 §6) or literal, at the current offset (sticky). */
const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

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
