import type { Command } from 'commander';
import { configure, safeLine } from '../../index.js';
import { collect } from './common.js';
import { configPairs } from './install.js';
import type { Ctx } from '../context.js';

/** Registers `aext config` on `program`: show or change an installed server's user_config values. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('config')
    .description("show or set an installed MCP server's user_config values (stored 0600 in ROOT/config/)")
    .argument('<name>', 'publisher/name, or name when unambiguous')
    .argument('[pairs...]', 'KEY=VALUE to set')
    .option('--unset <key>', 'remove a stored value (repeatable); the default applies again', collect, [])
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .action((name: string, pairs: string[], o: { unset: string[]; root?: string }) =>
      ctx.run('config', async () => {
        const r = await configure(name, { root: o.root, set: configPairs(pairs), unset: o.unset });
        const lines = Object.entries(r.options).map(([k, opt]) => {
          const v = Object.hasOwn(r.values, k) ? JSON.stringify(r.values[k]) : opt.default !== undefined ? `${JSON.stringify(opt.default)} (default)` : opt.required ? '(required, not set)' : '(not set)';
          return safeLine(`  ${k} = ${v}${opt.title ? `   # ${opt.title}` : ''}`);
        });
        return {
          result: { ...r },
          human: `${safeLine(r.extension)}${r.changed.length ? ` (changed: ${r.changed.join(', ')})` : ''}\n${lines.length ? lines.join('\n') : '  declares no user_config'}`,
        };
      }),
    );
}
