import type { Command } from 'commander';
import { connections, list, safeLine, uninstall } from '../../index.js';
import { warn } from '../output.js';
import type { Ctx } from '../context.js';

/** Registers `aext list` and `aext uninstall` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('list')
    .description('installed extensions from the lockfile')
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .action((o: { root?: string }) =>
      ctx.run('list', async () => {
        const r = await list({ root: o.root });
        const conns = r.extensions.length ? await connections({ root: o.root }) : [];
        const where = (key: string) => conns.filter((c) => c.key === key).map((c) => `${c.client}(${c.scope})`);
        return {
          result: { ...r, connections: conns },
          human: r.extensions.length
            ? r.extensions
                .map((e) => {
                  const w = where(`${e.publisher}/${e.name}`);
                  return safeLine(`${e.publisher}/${e.name}@${e.version}  ${e.kind}  ${e.signers.length ? 'signed' : 'UNSIGNED'}  ${e.path}${e.surface ? '  pinned' : ''}${w.length ? `  connected: ${w.join(', ')}` : ''}`);
                })
                .join('\n')
            : `no extensions installed in ${r.root}`,
        };
      }),
    );
  program
    .command('uninstall')
    .description('remove an installed extension')
    .argument('<name>', 'publisher/name, or name when unambiguous')
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .option('--purge', "also delete the extension's data directory (ROOT/data/<publisher>/<name>/)")
    .action((name: string, o: { root?: string; purge?: boolean }) =>
      ctx.run('uninstall', async () => {
        const r = await uninstall(name, { root: o.root, purge: o.purge === true, onReport: (_l, m) => warn(ctx.out, m) });
        const k = `${r.removed.publisher}/${r.removed.name}`;
        return {
          result: { root: r.root, removed: r.removed, purged: r.purged, disconnected: r.disconnected },
          human: safeLine(`uninstalled ${k}@${r.removed.version}`) + (r.purged ? '\n  data directory deleted (--purge)' : r.data ? `\n  data kept in ${safeLine(r.data)} (delete it with: aext uninstall --purge)` : '') + r.disconnected.map((c) => `\n  disconnected from ${c.client} (${c.scope}): ${safeLine(c.file)}`).join(''),
        };
      }),
    );
}
