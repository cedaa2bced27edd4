/**
 * Text from an archive, a server or a host config, made safe to print on a
 * terminal: C0 controls (except newline and tab), DEL, C1 controls, ESC
 * sequences and the Unicode bidi controls (U+202A–U+202E, U+2066–U+2069,
 * U+200E/U+200F, U+061C: CVE-2021-42574 "Trojan Source") are shown as
 * `\xNN` / `\u{NNNN}` escapes, so a string cannot move the cursor, recolour,
 * retitle or reorder what the user reads (ECMA-48; the TTY prompt attack of
 * the "no blind spots" issue, class 8).
 */

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Escapes terminal controls in `s` (newlines and tabs are kept). */
export function safeText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const n = c.codePointAt(0)!;
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
}

/** Escapes terminal controls and newlines too: for one-line fields (names, paths, permission entries). */
export function safeLine(s: string): string {
  return safeText(s).replace(/[\n\t]/g, (c) => (c === '\n' ? '\\n' : '\\t'));
}
