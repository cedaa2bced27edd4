/**
 * Trimming a set of characters from the ends of a string in linear time. A regex such as
 * `/-+$/` is quadratic on a long run of `-` followed by another character (each start
 * position scans the run again; recheck reports it as 2nd-degree polynomial), so the
 * product trims with these loops instead (issue 10, class 10).
 */

/** `s` without the characters of `chars` at its end. */
export function trimEnd(s: string, chars: string): string {
  let e = s.length;
  while (e > 0 && chars.includes(s[e - 1]!)) e--;
  return s.slice(0, e);
}

/** `s` without the characters of `chars` at its start. */
export function trimStart(s: string, chars: string): string {
  let b = 0;
  while (b < s.length && chars.includes(s[b]!)) b++;
  return s.slice(b);
}
