import type { Command } from 'commander';
import { list, uninstall } from '../../install.js';
import type { Ctx } from '../main.js';

/** Registers `aext list` and `aext uninstall` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('list')
    .description('installed extensions from the lockfile')
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .action((o: { root?: string }) =>
      ctx.run('list', async () => {
        const r = await list({ root: o.root });
        return {
          result: { ...r },
          human: r.extensions.length ? r.extensions.map((e) => `${e.publisher}/${e.name}@${e.version}  ${e.kind}  ${e.signers.length ? 'signed' : 'UNSIGNED'}  ${e.path}`).join('\n') : `no extensions installed in ${r.root}`,
        };
      }),
    );
  program
    .command('uninstall')
    .description('remove an installed extension')
    .argument('<name>', 'publisher/name, or name when unambiguous')
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .action((name: string, o: { root?: string }) =>
      ctx.run('uninstall', async () => {
        const r = await uninstall(name, { root: o.root });
        return { result: { root: r.root, removed: r.removed }, human: `uninstalled ${r.removed.publisher}/${r.removed.name}@${r.removed.version}` };
      }),
    );
}
