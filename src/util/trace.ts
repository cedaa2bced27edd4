/**
 * Phase marks for profiling (issue 12): `mark('opened')` records a `performance` mark named
 * `aext:opened` whose detail is the process's resident set size at that moment (bytes). The CLI
 * prints them with AEXT_TRACE=1; nothing else reads them. Costs about a microsecond.
 */
export function mark(name: string): void {
  performance.mark(`aext:${name}`, { detail: process.memoryUsage.rss() });
}
