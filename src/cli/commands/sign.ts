import type { Command } from 'commander';
import { loadPrivateKey, sign } from '../../index.js';
import type { Ctx } from '../context.js';

/** Registers `aext sign` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('sign')
    .description('add a signature to an existing archive (re-verifies its integrity first)')
    .argument('<file>', 'FILE.aext')
    .requiredOption('--key <key>', 'private key PEM')
    .option('-o, --out <file>', 'write the signed archive here instead of in place')
    .action((file: string, o: { key: string; out?: string }) =>
      ctx.run('sign', async () => {
        const r = await sign(file, await loadPrivateKey(o.key), { out: o.out });
        return { result: { ...r }, human: `signed ${r.file} with ${r.keyid}\n  signatures: ${r.signatures.join(', ')}` };
      }),
    );
}
