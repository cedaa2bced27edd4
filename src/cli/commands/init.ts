import type { Command } from 'commander';
import { AextError, describePermissions, init, safeLine, type Manifest } from '../../index.js';
import type { Ctx } from '../context.js';

/** Registers `aext init` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('init')
    .description('scaffold an extension, or derive aext.json from SKILL.md, .claude-plugin/plugin.json, an MCPB manifest.json or .mcpb bundle, or an npm package.json')
    .argument('<dir>', 'extension folder, or an MCPB bundle (.mcpb) to unpack and derive')
    .option('--kind <kind>', 'skill | mcp-server | plugin')
    .option('--name <name>', 'extension name')
    .option('--publisher <publisher>', 'publisher id')
    .option('--out <dir>', 'for a .mcpb bundle: the folder to unpack it into (default: its path without .mcpb)')
    .action((dir: string, o: { kind?: string; name?: string; publisher?: string; out?: string }) =>
      ctx.run('init', async () => {
        if (o.kind && !['skill', 'mcp-server', 'plugin'].includes(o.kind)) throw new AextError('E_USAGE', '--kind must be skill, mcp-server or plugin');
        const r = await init(dir, { kind: o.kind as Manifest['kind'] | undefined, name: o.name, publisher: o.publisher, out: o.out });
        const perms = describePermissions(r.manifest.permissions).map((x) => `  ${safeLine(x)}`).join('\n');
        const notes = r.notes.map((n) => `  note: ${safeLine(n)}`).join('\n');
        return {
          result: { ...r },
          human: `${r.derived_from === 'scaffold' ? 'created' : `derived from ${r.derived_from}:`} ${safeLine(`${r.manifest.publisher}/${r.manifest.name}@${r.manifest.version}`)} (${r.manifest.kind}) in ${safeLine(r.dir)}\nwrote ${r.written.join(', ')}\npermissions (review them; install asks the user to grant exactly these):\n${perms}${notes ? `\n${notes}` : ''}`,
        };
      }),
    );
}
