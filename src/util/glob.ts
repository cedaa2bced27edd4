/**
 * Name globs for scopes and block lists: `*` matches any run of characters
 * except `/`; everything else is literal. Linear-time (no backtracking blow-up:
 * the pattern is compiled to a regex of literal runs and `[^/]*`).
 */

/** True when `s` matches `glob` in full. */
export function globMatch(glob: string, s: string): boolean {
  const re = new RegExp('^' + glob.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
  return re.test(s);
}
