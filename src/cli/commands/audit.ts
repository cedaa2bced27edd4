import type { Command } from 'commander';
import { AextError, audit, loadPolicy } from '../../index.js';
import { warn } from '../output.js';
import type { Ctx } from '../context.js';

/** Registers `aext audit` (CONTRACT §2); exit 3 when issues are found. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('audit')
    .description('lock integrity, on-disk files vs signed index, revoked/quarantined installs; --fix moves flagged ones aside')
    .option('--root <dir>', 'install root')
    .option('--policy <file>', 'policy with revocation root keys')
    .option('--fix', 'quarantine flagged extensions (moved to ROOT/quarantine/, never deleted)')
    .action((o: { root?: string; policy?: string; fix?: boolean }) =>
      ctx.run('audit', async () => {
        const policy = o.policy ? await loadPolicy(o.policy) : undefined;
        const r = await audit({ root: o.root, fix: o.fix, policy, onReport: (m) => warn(ctx.out, m) });
        const human = r.issues.length
          ? r.issues.map((i) => `${i.code}  ${i.message}`).join('\n') + (r.quarantined.length ? `\nquarantined: ${r.quarantined.join(', ')}` : '')
          : `audit clean: ${r.checked} extension(s) in ${r.root}`;
        const error = r.issues.length ? new AextError('E_AUDIT_FAILED', `${r.issues.length} issue(s) in ${r.root}`, { file: r.root }) : undefined;
        return { result: { ...r }, human, ...(error ? { exit: 3 as const, error } : {}) };
      }),
    );
}
