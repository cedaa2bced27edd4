import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { pack } from '../../pack.js';
import { collect, privKeys, renderFindings } from './common.js';
import { warn } from '../output.js';
import type { Ctx } from '../main.js';

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
    .action((src: string, o: { out?: string; sign: string[]; allowSecret: string[]; rotation: string[]; allowBlocked?: boolean }) =>
      ctx.run('pack', async () => {
        const keys = await privKeys(o.sign);
        for (const s of o.allowSecret) warn(ctx.out, `--allow-secret ${s}: this file may hold a secret and WILL be packed`);
        if (keys.length === 0) warn(ctx.out, 'packing UNSIGNED (no --sign key given)');
        const rotations = o.rotation.map((f) => readFileSync(f));
        const r = await pack(src, { out: o.out, keys, allowSecrets: o.allowSecret, rotations, allowBlocked: o.allowBlocked === true, onReport: (_l, m) => warn(ctx.out, m) });
        return {
          result: { ...r },
          human: `packed ${r.publisher}/${r.name}@${r.version} (${r.kind}) -> ${r.file}\n  ${r.files} files, ${r.size} bytes, sha256 ${r.sha256}\n  signed by ${r.signers.join(', ') || '(unsigned)'}${r.findings.length ? `\n  scan: ${r.verdict}\n${renderFindings(r.findings)}` : ''}`,
        };
      }),
    );
}
