import type { Command } from 'commander';
import { describePermissions, inspect } from '../../index.js';
import type { Ctx } from '../context.js';

/** Registers `aext inspect` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('inspect')
    .description('manifest, requested permissions, signer key ids, files, sizes; no trust decision')
    .argument('<file>', 'FILE.aext')
    .action((file: string) =>
      ctx.run('inspect', async () => {
        const r = await inspect(file);
        const m = r.manifest;
        return {
          result: { ...r },
          human: [
            `${m.publisher}/${m.name}@${m.version} (${m.kind})`,
            `  ${m.description}`,
            `permissions requested:`,
            ...describePermissions(r.permissions).map((x) => `  ${x}`),
            `signatures (unverified key ids): ${r.signatures.join(', ') || '(none)'}`,
            `files (${r.files.length}, ${r.total_size} bytes; archive ${r.archive_size} bytes):`,
            ...r.files.map((f) => `  ${f.executable ? 'x' : ' '} ${String(f.size).padStart(10)}  ${f.path}`),
          ].join('\n'),
        };
      }),
    );
}
