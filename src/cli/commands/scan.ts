import type { Command } from 'commander';
import { AextError, VERSION, baselineFor, loadBaseline, scan, toSarif } from '../../index.js';
import { renderFindings, severity } from './common.js';
import { writeFileSync } from 'node:fs';
import type { Ctx } from '../context.js';

/** Registers `aext scan` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('scan')
    .description('heuristic findings; exit 6 when any finding is at or above --fail-on (default high)')
    .argument('<target>', 'extension folder or FILE.aext')
    .option('--sarif', 'print SARIF 2.1.0 instead')
    .option('--fail-on <severity>', 'info | low | medium | high | critical', 'high')
    .option('--baseline <file>', 'operator baseline: suppress findings listed there (rule, path, evidence sha256, reason)')
    .option('--write-baseline <file>', 'write a baseline that suppresses the current findings (needs --reason)')
    .option('--reason <text>', 'reason recorded in --write-baseline entries')
    .action((target: string, o: { sarif?: boolean; failOn?: string; baseline?: string; writeBaseline?: string; reason?: string }) => {
      const failOn = o.failOn;
      return ctx.run('scan', async () => {
        if (o.writeBaseline && !o.reason?.trim()) throw new AextError('E_USAGE', '--write-baseline needs --reason "why these findings are accepted"');
        const r = await scan(target, { failOn: severity(failOn), baseline: o.baseline ? await loadBaseline(o.baseline) : undefined });
        if (o.writeBaseline) writeFileSync(o.writeBaseline, JSON.stringify(baselineFor(r.findings, o.reason!), null, 2) + '\n', { flag: 'wx' });
        // Writing a baseline accepts the current findings: that run succeeds (exit 0) once the file is written.
        const blocked = r.verdict === 'block' && !o.writeBaseline;
        const error = blocked ? new AextError('E_SCAN_BLOCKED', `${target}: findings at or above ${r.failOn}`, { file: target }) : undefined;
        if (o.sarif) ctx.sarif = await toSarif([{ findings: r.findings }], VERSION);
        return {
          result: { target, verdict: r.verdict, fail_on: r.failOn, findings: r.findings, suppressed: r.suppressed, stats: r.stats },
          human: `${target}: ${r.verdict} (${r.findings.length} finding(s), fail-on ${r.failOn})${r.findings.length ? '\n' + renderFindings(r.findings) : ''}${o.writeBaseline ? `\nwrote baseline ${o.writeBaseline} (${r.findings.length} accepted finding(s))` : ''}`,
          ...(blocked ? { exit: 6 as const, error } : {}),
        };
      });
    });
}
