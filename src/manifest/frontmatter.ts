/**
 * SKILL.md frontmatter parsing: the only module that imports gray-matter and
 * js-yaml. gray-matter `eval`s `---js` frontmatter (CVE-2022-25863) even with
 * `language: 'yaml'`, so every engine is overridden here: YAML is parsed with
 * js-yaml's FAILSAFE schema (strings, sequences, mappings only: `1.0` stays
 * "1.0", dates stay strings) and every other engine throws. The frontmatter
 * must open on line 1 with exactly `---`, close with a `---` line, and stay
 * under a byte cap (scanner-anchors.md §a.3).
 */
import matter from 'gray-matter';
import yaml from 'js-yaml';
import { AextError } from '../errors.js';

const deny = (lang: string) => () => {
  throw new AextError('E_FRONTMATTER_INVALID', `frontmatter language "${lang}" is not allowed (only YAML)`);
};

/** Most values (scalars, lists, mappings, counted after alias expansion) a frontmatter block may hold. */
export const MAX_FRONTMATTER_VALUES = 10_000;

/** Number of values in `v` with aliases expanded, counting stops just past `cap`. */
function expandedSize(v: unknown, cap: number): number {
  let n = 0;
  const stack: unknown[] = [v];
  while (stack.length && n <= cap) {
    const x = stack.pop();
    n++;
    if (Array.isArray(x)) stack.push(...x);
    else if (x && typeof x === 'object') stack.push(...Object.values(x));
  }
  return n;
}

/** Parsed SKILL.md / command / agent Markdown. */
export interface Frontmatter {
  /** Mapping of frontmatter keys to FAILSAFE values (string | string[] | nested mapping). */
  data: Record<string, unknown>;
  /** Markdown body after the closing delimiter. */
  body: string;
  /** 1-based line of the first body line in the original file. */
  bodyLine: number;
  /** Raw YAML text between the delimiters. */
  raw: string;
  /**
   * True when strict YAML refused the block and it was read line by line, as the hosts read
   * such frontmatter (an unquoted `: ` inside a description): a warning, never a refusal.
   */
  lenient?: boolean;
}

/**
 * Reads frontmatter that strict YAML refuses the way Claude Code does: each top-level
 * `key: value` line is one string (the rest of the line, outer quotes removed), and indented
 * lines continue the value before them. Returns undefined when the block has nested structure
 * (lists, mappings) that a line reading would misread: then the YAML error stands.
 */
function lenientFrontmatter(raw: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const line of raw.split(/\r?\n/)) {
    if (!line.trim() || /^\s*#/.test(line)) continue;
    const top = /^([A-Za-z0-9_-]{1,64}):(?:[ \t]+(\S.*))?$/.exec(line);
    if (top) {
      if (Object.prototype.hasOwnProperty.call(out, top[1]!)) return undefined;
      const v = (top[2] ?? '').trim();
      if (v === '' || /^[[{|>&*!-]/.test(v)) return undefined;
      last = top[1]!;
      out[last] = v.replace(/^(["'])(.*)\1$/, '$2');
    } else if (/^[ \t]+\S/.test(line) && last && !/^[ \t]+-[ \t]/.test(line) && !/^[ \t]+[A-Za-z0-9_-]+:[ \t]/.test(line)) {
      out[last] += ` ${line.trim()}`;
    } else return undefined;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Parses YAML frontmatter without ever running code.
 * @param text file content. @param file name for messages. @param maxBytes cap on the frontmatter block (bytes).
 * @param required when false, a file with no frontmatter returns empty data.
 * @throws AextError E_FRONTMATTER_INVALID (missing, unclosed, non-YAML language,
 *   over the cap, unparseable, not a mapping).
 */
export function parseFrontmatter(text: string, file: string, maxBytes: number, required = true): Frontmatter {
  const d = { file };
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstNl = src.indexOf('\n');
  const first = (firstNl < 0 ? src : src.slice(0, firstNl)).replace(/\r$/, '');
  if (first !== '---') {
    if (/^---\s*\S/.test(first)) throw new AextError('E_FRONTMATTER_INVALID', `${file}: frontmatter language "${first.slice(3).trim()}" is not allowed (only YAML)`, d);
    if (!required) return { data: {}, body: src, bodyLine: 1, raw: '' };
    throw new AextError('E_FRONTMATTER_INVALID', `${file}: must start with a "---" frontmatter line`, d);
  }
  const close = /\r?\n---[ \t]*(\r?\n|$)/.exec(src.slice(3));
  if (!close) throw new AextError('E_FRONTMATTER_INVALID', `${file}: frontmatter is not closed by a "---" line`, d);
  const rawEnd = 3 + close.index;
  if (Buffer.byteLength(src.slice(0, rawEnd), 'utf8') > maxBytes) {
    throw new AextError('E_FRONTMATTER_INVALID', `${file}: frontmatter is larger than ${maxBytes} bytes`, { ...d, limit: 'maxFrontmatterBytes' });
  }
  let parsed: { data: unknown; content: string };
  try {
    parsed = matter(src, {
      language: 'yaml',
      delimiters: '---',
      engines: {
        yaml: (s: string) => yaml.load(s, { schema: yaml.FAILSAFE_SCHEMA, json: false }) as object,
        js: deny('js'),
        javascript: deny('javascript'),
        coffee: deny('coffee'),
        coffeescript: deny('coffeescript'),
        cson: deny('cson'),
        json: deny('json'),
        toml: deny('toml'),
      },
    }) as unknown as { data: unknown; content: string };
  } catch (e) {
    if (e instanceof AextError) throw new AextError(e.code, `${file}: ${e.message}`, d);
    const raw = src.slice(3, rawEnd).replace(/^\r?\n/, '');
    const loose = lenientFrontmatter(raw);
    if (!loose) throw new AextError('E_FRONTMATTER_INVALID', `${file}: frontmatter is not valid YAML (${(e as Error).message.split('\n')[0]})`, d);
    const bodyStart = rawEnd + close[0].length;
    return { data: loose, body: src.slice(bodyStart), bodyLine: src.slice(0, bodyStart).split('\n').length, raw, lenient: true };
  }
  const data = parsed.data;
  // YAML aliases are shared references: a few kilobytes can stand for millions of values ("billion
  // laughs", CVE-2003-1564 for XML; the same for YAML). Whatever walks the data later would expand
  // them, so the expanded size is bounded here.
  if (expandedSize(data, MAX_FRONTMATTER_VALUES) > MAX_FRONTMATTER_VALUES) {
    throw new AextError('E_FRONTMATTER_INVALID', `${file}: frontmatter expands to more than ${MAX_FRONTMATTER_VALUES} values through YAML aliases`, d);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new AextError('E_FRONTMATTER_INVALID', `${file}: frontmatter is not a YAML mapping`, d);
  }
  const raw = src.slice(3, rawEnd).replace(/^\r?\n/, '');
  const bodyStart = rawEnd + close[0].length;
  const bodyLine = src.slice(0, bodyStart).split('\n').length;
  return { data: data as Record<string, unknown>, body: src.slice(bodyStart), bodyLine, raw };
}
