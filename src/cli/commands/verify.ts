import type { Command } from 'commander';
import { verify } from '../../index.js';
import { collect, pubKeys } from './common.js';
import type { Ctx } from '../context.js';

/** Registers `aext verify` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('verify')
    .description('integrity + signature by at least one given key')
    .argument('<file>', 'FILE.aext')
    .option('--pub <key>', 'trusted public key PEM (repeatable)', collect, [])
    .action((file: string, o: { pub: string[] }) =>
      ctx.run('verify', async () => {
        const r = await verify(file, await pubKeys(o.pub));
        return { result: { ...r, verified: true }, human: `verified ${r.publisher}/${r.name}@${r.version}: ${r.files} files match the INDEX, signed by ${r.signers.join(', ')}` };
      }),
    );
}
