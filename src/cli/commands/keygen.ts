import type { Command } from 'commander';
import { keygen } from '../../index.js';
import type { Ctx } from '../context.js';

/** Registers `aext keygen` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('keygen')
    .description('write PREFIX.pem (PKCS#8, mode 0600) and PREFIX.pub.pem (SPKI); print the key id')
    .requiredOption('--out <prefix>', 'path prefix of the key files')
    .action((o: { out: string }) =>
      ctx.run('keygen', async () => {
        const r = await keygen(o.out);
        return { result: { ...r }, human: `key id ${r.keyid}\nprivate key ${r.private_key} (keep it secret)\npublic key  ${r.public_key}` };
      }),
    );
}
