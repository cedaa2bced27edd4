import type { Command } from 'commander';
import { AextError, CLIENTS, connect, disconnect, safeLine, type ClientName, type Scope } from '../../index.js';
import type { Ctx } from '../context.js';

interface Flags {
  client?: string;
  scope?: string;
  project?: string;
  root?: string;
  as?: string;
}

const client = (v: string | undefined, required: boolean): ClientName | undefined => {
  if (v === undefined && !required) return undefined;
  if (!v || !(CLIENTS as readonly string[]).includes(v)) throw new AextError('E_USAGE', `--client must be one of ${CLIENTS.join(', ')}`);
  return v as ClientName;
};
const scope = (v: string | undefined): Scope | undefined => {
  if (v === undefined) return undefined;
  if (v !== 'user' && v !== 'project') throw new AextError('E_USAGE', '--scope must be user or project');
  return v;
};

/** Registers `aext connect` and `aext disconnect` (CONTRACT §2) on `program`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('connect')
    .description("add an installed extension to a host client's config (servers start through `aext run`)")
    .argument('<name>', 'publisher/name (or name when unambiguous)')
    .requiredOption('--client <client>', CLIENTS.join(' | '))
    .option('--scope <scope>', 'user (default) or project')
    .option('--project <dir>', 'project directory for --scope project (default: the current directory)')
    .option('--as <entry>', 'entry name in the client config (default: the extension name)')
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .action((name: string, o: Flags) =>
      ctx.run('connect', async () => {
        const c = await connect(name, { client: client(o.client, true)!, ...(scope(o.scope) ? { scope: scope(o.scope)! } : {}), ...(o.project ? { project: o.project } : {}), ...(o.as ? { as: o.as } : {}), root: o.root });
        return { result: { connection: c }, human: `connected ${safeLine(c.key)} to ${c.client} (${c.scope}): ${c.what} ${safeLine(c.entry)} in ${safeLine(c.file)}` };
      }),
    );
  program
    .command('disconnect')
    .description('remove what aext connect wrote (other entries are never touched)')
    .argument('<name>', 'publisher/name (or name when unambiguous)')
    .option('--client <client>', `only this client: ${CLIENTS.join(' | ')}`)
    .option('--scope <scope>', 'only this scope: user or project')
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .action((name: string, o: Flags) =>
      ctx.run('disconnect', async () => {
        const cl = client(o.client, false);
        const sc = scope(o.scope);
        const removed = await disconnect(name, { root: o.root, ...(cl ? { client: cl } : {}), ...(sc ? { scope: sc } : {}) });
        return { result: { removed }, human: removed.length ? removed.map((c) => `disconnected ${safeLine(c.key)} from ${c.client} (${c.scope}): ${safeLine(c.file)}`).join('\n') : `${safeLine(name)} was not connected` };
      }),
    );
}
