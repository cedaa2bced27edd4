import type { Command } from 'commander';
import { validate } from '../../index.js';
import type { Ctx } from '../context.js';
import { warn } from '../output.js';

/** Registers `aext validate` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('validate')
    .description('check manifest schema, SKILL.md frontmatter, layout and cross-field rules')
    .argument('<target>', 'extension folder or FILE.aext')
    .action((target: string) =>
      ctx.run('validate', async () => {
        const r = await validate(target);
        for (const w of r.warnings ?? []) warn(ctx.out, w);
        return { result: { ...r, valid: true }, human: `valid: ${r.manifest.publisher}/${r.manifest.name}@${r.manifest.version} (${r.manifest.kind}), ${r.files} files` };
      }),
    );
}
