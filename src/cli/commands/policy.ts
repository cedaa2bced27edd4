import type { Command } from 'commander';
import { promises as fsp } from 'node:fs';
import { AextError, loadPolicy, toAextError } from '../../index.js';
import type { Ctx } from '../context.js';

/** A starting policy: strict defaults, each field explained in a `$comment`. */
export const STARTING_POLICY = {
  $comment: 'aext install policy (schemas/aext-policy.v1.schema.json). Unknown fields are refused; any error denies. Command-line flags override these values.',
  policy_version: 1,
  allow_unsigned: false,
  allow_downgrade: true,
  require_confirmation: true,
  threshold: 1,
  trusted_keys: [],
  allowed_kinds: ['skill', 'mcp-server', 'plugin'],
  blocked_publishers: [],
  blocked_names: [],
  permissions_ceiling: {
    $comment: 'The most any extension may be granted. Remove a field to leave it unlimited.',
    shell: false,
    network: { hosts: [] },
    filesystem: { read: [], write: [] },
    env: [],
  },
  scan: { $comment: 'Findings at or above this severity block the install.', fail_on: 'high' },
  limits: { $comment: 'Archive limits (bytes, counts); defaults in src/limits.ts.', maxEntries: 10000, maxTotalBytes: 2147483648 },
};

/** Registers `aext policy init|check` (CONTRACT §2). */
export function register(program: Command, ctx: Ctx): void {
  const policy = program.command('policy').description('write or validate an install policy');
  policy
    .command('init')
    .description('write a commented starting policy')
    .argument('[file]', 'output file (default aext-policy.json)', 'aext-policy.json')
    .action((file: string) =>
      ctx.run('policy init', async () => {
        try {
          await fsp.writeFile(file, JSON.stringify(STARTING_POLICY, null, 2) + '\n', { flag: 'wx' });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AextError('E_EXISTS', `${file} already exists`, { file });
          throw toAextError(e, { file });
        }
        await loadPolicy(file); // the starting policy must itself validate
        return { result: { file }, human: `wrote ${file}` };
      }),
    );
  policy
    .command('check')
    .description('validate a policy file (schema, keys)')
    .argument('<file>', 'policy JSON')
    .action((file: string) =>
      ctx.run('policy check', async () => {
        const p = await loadPolicy(file);
        return { result: { file, valid: true, policy: p }, human: `${file}: valid` };
      }),
    );
}
