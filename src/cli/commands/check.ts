import type { Command } from 'commander';
import { AextError, ERROR_CODES, VERSION, check, loadBaseline, loadPolicy, toSarif, type ExitCode } from '../../index.js';
import { collect, pubKeys, renderFindings } from './common.js';
import type { Ctx } from '../context.js';

/** Registers `aext check` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('check')
    .description('registry-side validation of uploads; never installs; one verdict per file')
    .argument('<files...>', 'FILE.aext…')
    .option('--pub <key>', 'trusted public key PEM (repeatable); signatures are required when given', collect, [])
    .option('--baseline <file>', 'operator baseline of accepted scan findings (never read from the archive)')
    .option('--policy <file>', 'policy JSON')
    .option('--sarif', 'print SARIF 2.1.0 instead')
    .action((files: string[], o: { pub: string[]; baseline?: string; policy?: string; sarif?: boolean }) =>
      ctx.run('check', async () => {
        const policy = o.policy ? await loadPolicy(o.policy) : undefined;
        const baseline = o.baseline ? await loadBaseline(o.baseline) : undefined;
        const results = await check(files, { pub: await pubKeys(o.pub), policy, baseline });
        const failed = results.find((r) => !r.ok);
        if (o.sarif) ctx.sarif = await toSarif(results.map((r) => ({ base: r.file, findings: r.findings })), VERSION);
        const exit = failed?.error ? (ERROR_CODES[failed.error.code].exit as ExitCode) : undefined;
        return {
          result: { results, passed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length },
          human: results
            .map((r) => `${r.file}: ${r.verdict}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}${r.findings.length ? '\n' + renderFindings(r.findings) : ''}`)
            .join('\n'),
          ...(exit ? { exit, error: new AextError(failed!.error!.code, `${results.filter((r) => !r.ok).length} of ${results.length} file(s) failed; first: ${failed!.file}: ${failed!.error!.message}`, { file: failed!.file, entry: failed!.error!.entry }) } : {}),
        };
      }),
    );
}
