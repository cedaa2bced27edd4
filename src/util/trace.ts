/**
 * Phase marks for profiling (issue 12): `mark('opened')` records a `performance` mark named
 * `aext:opened` whose detail is `[rss, faults]`: the process's resident set size at that moment
 * (bytes) and its minor page faults so far (first touches of memory, which cost several µs each on
 * a virtual machine). The CLI prints them with AEXT_TRACE=1; nothing else reads them. Costs a few
 * microseconds.
 */
export function mark(name: string): void {
  performance.mark(`aext:${name}`, { detail: [process.memoryUsage.rss(), process.resourceUsage().minorPageFault] });
}
