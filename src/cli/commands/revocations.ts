import type { Command } from 'commander';
import { AextError, loadPolicy, rootsFromPolicy, updateRevocations } from '../../index.js';
import type { Ctx } from '../context.js';

/** Registers `aext revocations update` (CONTRACT §2). */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('revocations')
    .description('the signed revocation/quarantine list')
    .command('update')
    .description('verify a revocation list against the policy root keys and store it (refuses rollback)')
    .argument('<file>', 'revocations .dsse.json')
    .requiredOption('--policy <file>', 'policy naming the revocation root keys')
    .option('--root <dir>', 'install root')
    .action((file: string, o: { policy: string; root?: string }) =>
      ctx.run('revocations update', async () => {
        const p = await loadPolicy(o.policy);
        if (!p.revocation) throw new AextError('E_POLICY_INVALID', `${o.policy} has no "revocation" root keys`, { file: o.policy });
        const r = await updateRevocations(file, await rootsFromPolicy(p.revocation), { root: o.root });
        return { result: { ...r }, human: `stored revocation list version ${r.version}${r.previous_version ? ` (was ${r.previous_version})` : ''}, expires ${r.expires}` };
      }),
    );
}
