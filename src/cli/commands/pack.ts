import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { AextError, pack } from '../../index.js';
import { collect, privKeys, renderFindings } from './common.js';
import { progressLine, warn } from '../output.js';
import type { Ctx } from '../context.js';

/** Registers `aext pack` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('pack')
    .description('validate + scan + deterministic archive, signed with each --sign key')
    .argument('<src>', 'extension folder, or a .tgz/.tar from npm pack')
    .option('-o, --out <file>', 'output .aext (default <publisher>-<name>-<version>.aext)')
    .option('--sign <key>', 'private key PEM to sign with (repeatable)', collect, [])
    .option('--rotation <file>', 'key-rotation statement to ship in META-AEXT/rotation/ (repeatable)', collect, [])
    .option('--allow-secret <path>', 'allow this exact package file even though it looks like a secret (repeatable)', collect, [])
    .option('--allow-blocked', 'write the archive even though its scan would block install (loud)')
    .option('--max-files <n>', 'most files the archive may hold (default 150,000, the installer default; up to 1,000,000)')
    .action((src: string, o: { out?: string; sign: string[]; allowSecret: string[]; rotation: string[]; allowBlocked?: boolean; maxFiles?: string }) =>
      ctx.run('pack', async () => {
        const keys = await privKeys(o.sign);
        for (const s of o.allowSecret) warn(ctx.out, `--allow-secret ${s}: this file may hold a secret and WILL be packed`);
        if (keys.length === 0) warn(ctx.out, 'packing UNSIGNED (no --sign key given)');
        const rotations = o.rotation.map((f) => readFileSync(f));
        const maxFiles = o.maxFiles === undefined ? undefined : Number(o.maxFiles);
        if (maxFiles !== undefined && (!Number.isInteger(maxFiles) || maxFiles < 1 || maxFiles > 1_000_000)) {
          throw new AextError('E_USAGE', `--max-files ${o.maxFiles}: expected a whole number from 1 to 1,000,000`, {});
        }
        const progress = progressLine(ctx.out, `packing ${src}`);
        const r = await pack(src, { onProgress: progress?.update, ...(maxFiles ? { limits: { maxEntries: maxFiles } } : {}), out: o.out, keys, allowSecrets: o.allowSecret, rotations, allowBlocked: o.allowBlocked === true, onReport: (_l, m) => warn(ctx.out, m) }).finally(() => progress?.done());
        return {
          result: { ...r },
          human: `packed ${r.publisher}/${r.name}@${r.version} (${r.kind}) -> ${r.file}\n  ${r.files} files, ${r.size} bytes, sha256 ${r.sha256}\n  signed by ${r.signers.join(', ') || '(unsigned)'}${r.findings.length ? `\n  scan: ${r.verdict}${r.findings.some((f) => f.severity !== 'low' && f.severity !== 'info') ? `\n${renderFindings(r.findings.filter((f) => f.severity !== 'low' && f.severity !== 'info'))}` : ''}` : ''}`,
        };
      }),
    );
}
