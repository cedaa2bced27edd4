/**
 * Code as a language reads it: which language a file is (by name, then by its
 * `#!` line), and its text with comments blanked out (replaced by spaces, line
 * breaks kept, so offsets still point into the raw file). The capability
 * extractor reads capabilities only from what is left: code and string
 * literals, never comments (a host in a `// see https://…` comment or a `#`
 * note is not network use).
 *
 * The lexers are small and deliberate: they know each language's string and
 * comment syntax (ECMA-262 §12.4 comments, §12.9.4 strings, template literals;
 * Python lexical analysis §2.1.3 comments, §2.4.1 string literals incl.
 * triple quotes; POSIX sh §2.3 token recognition: `#` starts a comment only
 * at the start of a word, quotes). Regex literals in JS are recognised after
 * the tokens that can precede an expression. When a lexer meets something it
 * cannot close (an unterminated string or comment), it returns the raw text
 * unchanged — fail closed: every rule then sees the comment too.
 */

/** Languages the extractor distinguishes. */
export type CodeLang = 'js' | 'py' | 'sh' | 'ps' | 'other';

/** The language of a code file, by extension, else by its `#!` interpreter. */
export function langOf(p: string, text: string): CodeLang {
  const ext = /\.([A-Za-z0-9]+)$/.exec(p)?.[1]?.toLowerCase();
  if (ext && ['js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx'].includes(ext)) return 'js';
  if (ext && ['py', 'pyw'].includes(ext)) return 'py';
  if (ext && ['sh', 'bash', 'zsh', 'ksh'].includes(ext)) return 'sh';
  if (ext && ['ps1', 'psm1'].includes(ext)) return 'ps';
  const she = /^#!\s*(\S+)(?:\s+(?:-S\s+)?(\S+))?/.exec(text);
  if (she) {
    const prog = (/\/env$/.test(she[1]!) ? she[2] ?? '' : she[1]!).split('/').pop()!;
    if (/^(?:node|nodejs|deno|bun|tsx|ts-node)$/.test(prog)) return 'js';
    if (/^python[\d.]*$/.test(prog)) return 'py';
    if (/^(?:ba|z|da|k)?sh$/.test(prog)) return 'sh';
    if (/^pwsh$/.test(prog)) return 'ps';
  }
  return 'other';
}

const blank = (s: string) => s.replace(/[^\n]/g, ' ');

/** JS/TS: blanks `//` and `/* *\/` comments, keeps strings, templates and regex literals. */
function jsCode(t: string): string | undefined {
  let out = '';
  let i = 0;
  let last = ''; // last significant character, to tell a regex literal from division
  const n = t.length;
  const templateDepth: number[] = [];
  let braceDepth = 0;
  while (i < n) {
    const c = t[i]!;
    const d = t[i + 1];
    if (c === '/' && d === '/') {
      const e = t.indexOf('\n', i);
      const end = e < 0 ? n : e;
      out += blank(t.slice(i, end));
      i = end;
      continue;
    }
    if (c === '/' && d === '*') {
      const e = t.indexOf('*/', i + 2);
      if (e < 0) return undefined;
      out += blank(t.slice(i, e + 2));
      i = e + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && t[j] !== c && t[j] !== '\n') j += t[j] === '\\' ? 2 : 1;
      if (j >= n || t[j] !== c) return undefined;
      out += t.slice(i, j + 1);
      i = j + 1;
      last = 'a';
      continue;
    }
    if (c === '`' || (c === '}' && templateDepth.length && templateDepth[templateDepth.length - 1] === braceDepth)) {
      if (c === '}') templateDepth.pop();
      let j = i + 1;
      while (j < n && t[j] !== '`' && !(t[j] === '$' && t[j + 1] === '{')) j += t[j] === '\\' ? 2 : 1;
      if (j >= n) return undefined;
      if (t[j] === '$') {
        templateDepth.push(braceDepth);
        out += t.slice(i, j + 2);
        i = j + 2;
        last = '(';
        continue;
      }
      out += t.slice(i, j + 1);
      i = j + 1;
      last = 'a';
      continue;
    }
    if (c === '/' && (last === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(last))) {
      let j = i + 1;
      let cls = false;
      while (j < n && t[j] !== '\n' && (cls || t[j] !== '/')) {
        if (t[j] === '\\') j++;
        else if (t[j] === '[') cls = true;
        else if (t[j] === ']') cls = false;
        j++;
      }
      if (j < n && t[j] === '/') {
        out += t.slice(i, j + 1);
        i = j + 1;
        last = 'a';
        continue;
      }
    }
    if (c !== '/' && c !== '{' && c !== '}') {
      // A run of characters none of the branches above starts on: copied in one slice (was one `+=` and
      // two regex tests per character: the hottest loop of a dependency-heavy install; issue 12).
      let j = i + 1;
      while (j < n && !JS_SPECIAL[t.charCodeAt(j)]) j++;
      out += t.slice(i, j);
      for (let k = j - 1; k >= i; k--) {
        const ch = t[k]!;
        if (!/\s/.test(ch)) {
          last = /[\w$)\]]/.test(ch) ? 'a' : ch;
          break;
        }
      }
      i = j;
      continue;
    }
    if (c === '{') braceDepth++;
    if (c === '}') braceDepth--;
    last = c;
    out += c;
    i++;
  }
  return out;
}

/** Characters a JS lexer branch can start on (`/`, quotes, backtick, braces): 1 at their code unit. */
const JS_SPECIAL = (() => {
  const a = new Uint8Array(128);
  for (const ch of '/"\'`{}') a[ch.charCodeAt(0)] = 1;
  return a;
})();

/** Python: blanks `#` comments; keeps every string literal (docstrings included). */
function pyCode(t: string): string | undefined {
  let out = '';
  let i = 0;
  const n = t.length;
  while (i < n) {
    const c = t[i]!;
    if (c === '#') {
      const e = t.indexOf('\n', i);
      const end = e < 0 ? n : e;
      out += blank(t.slice(i, end));
      i = end;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = t.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      let j = i + q.length;
      while (j < n && !t.startsWith(q, j) && (triple || t[j] !== '\n')) j += t[j] === '\\' ? 2 : 1;
      if (j >= n || !t.startsWith(q, j)) return undefined;
      out += t.slice(i, j + q.length);
      i = j + q.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** POSIX sh (and PowerShell's `#`): blanks comments that start a word; keeps quoted text. */
function shCode(t: string, ps: boolean): string | undefined {
  let out = '';
  let i = 0;
  const n = t.length;
  while (i < n) {
    const c = t[i]!;
    if (ps && c === '<' && t[i + 1] === '#') {
      const e = t.indexOf('#>', i + 2);
      if (e < 0) return undefined;
      out += blank(t.slice(i, e + 2));
      i = e + 2;
      continue;
    }
    if (c === '#' && (i === 0 || /[\s;&|()]/.test(t[i - 1]!))) {
      const e = t.indexOf('\n', i);
      const end = e < 0 ? n : e;
      out += blank(t.slice(i, end));
      i = end;
      continue;
    }
    if (c === "'" ) {
      const e = t.indexOf("'", i + 1);
      if (e < 0) return undefined;
      out += t.slice(i, e + 1);
      i = e + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && t[j] !== '"') j += t[j] === '\\' || (ps && t[j] === '`') ? 2 : 1;
      if (j >= n) return undefined;
      out += t.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '\\' && !ps) {
      out += t.slice(i, i + 2);
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * The text of a code file with its comments blanked (same length, same line breaks).
 * @returns `{ code, parsed }`; `parsed` is false when the lexer could not finish
 *   and `code` is the raw text (fail closed).
 */
export function codeOnly(lang: CodeLang, text: string): { code: string; parsed: boolean } {
  // The #! line is read by the kernel, not the language: it names an interpreter, not a capability.
  const she = /^#![^\n]*/.exec(text)?.[0] ?? '';
  const body = blank(she) + text.slice(she.length);
  const r = lang === 'js' ? jsCode(body) : lang === 'py' ? pyCode(body) : lang === 'sh' ? shCode(body, false) : lang === 'ps' ? shCode(body, true) : body;
  return r === undefined ? { code: body, parsed: false } : { code: r, parsed: true };
}
