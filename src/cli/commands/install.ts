import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { AextError, approve, describePermissions, install, loadBaseline, loadPolicy, safeLine, type UserConfigOption } from '../../index.js';
import { collect, pubKeys, renderFindings } from './common.js';
import { progressLine, warn } from '../output.js';
import type { Ctx } from '../context.js';

/** Registers `aext install` (CONTRACT §2) on `program`; output and exit code go through `ctx.run`. */
export function register(program: Command, ctx: Ctx): void {
  program
    .command('install')
    .description('verify -> hardened extract -> scan -> policy -> atomic commit')
    .argument('<file>', 'FILE.aext')
    .option('--pub <key>', 'trusted public key PEM (repeatable)', collect, [])
    .option('--baseline <file>', 'operator baseline of accepted scan findings (never read from the archive)')
    .option('--policy <file>', 'policy JSON (schemas/aext-policy.v1.schema.json)')
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .option('--yes', 'grant the requested permissions without asking')
    .option('--allow-unsigned', 'accept an archive with NO signatures (never bad ones); loud')
    .option('--allow-downgrade', 'accept a lower version than the installed one (still needs a trusted signature; recorded)')
    .option('--pin-now', 'MCP servers: start the server in its sandbox now and pin its tools, prompts and resources')
    .option('--config <KEY=VALUE>', 'a user_config value the server declares (repeatable); required ones not given are asked on a TTY', collect, [])
    .action((file: string, o: { pub: string[]; baseline?: string; policy?: string; root?: string; yes?: boolean; allowUnsigned?: boolean; allowDowngrade?: boolean; pinNow?: boolean; config: string[] }) =>
      ctx.run('install', async () => {
        const policy = o.policy ? await loadPolicy(o.policy) : undefined;
        const baseline = o.baseline ? await loadBaseline(o.baseline) : undefined;
        const pub = await pubKeys(o.pub);
        if (o.allowUnsigned) warn(ctx.out, '--allow-unsigned: the signature requirement is BYPASSED for unsigned archives');
        const interactive = !ctx.out.json && process.stdin.isTTY === true && process.stderr.isTTY === true;
        const progress = progressLine(ctx.out, `installing ${file}`);
        const r = await install(file, { onProgress: progress?.update,
          pub,
          policy,
          baseline,
          root: o.root,
          yes: o.yes,
          allowUnsigned: o.allowUnsigned,
          allowDowngrade: o.allowDowngrade,
          onReport: (_l, m) => warn(ctx.out, m),
          config: configPairs(o.config),
          ...(interactive ? { askConfig: (k: string, opt: UserConfigOption) => (progress?.done(), askValue(k, opt)) } : {}),
          confirm: interactive
            ? async ({ manifest, permissions, review }) => {
                progress?.done();
                const rl = createInterface({ input: process.stdin, output: process.stderr });
                try {
                  process.stderr.write(`${safeLine(`${manifest.publisher}/${manifest.name}@${manifest.version} (${manifest.kind})`)} requests:\n${describePermissions(permissions).map((x) => `  ${safeLine(x)}`).join('\n')}\n`);
                  if (review.length) process.stderr.write(`scan verdict: REVIEW (${review.length} finding(s) to confirm):\n${renderFindings(review)}\n`);
                  // Ctrl-C (SIGINT on the prompt) or Ctrl-D is a "no": E_NOT_CONFIRMED, exit 5, never an internal error.
                  const ac = new AbortController();
                  rl.once('SIGINT', () => ac.abort());
                  rl.once('close', () => ac.abort());
                  const a = await rl.question(review.length ? 'Accept these findings, grant these permissions and install? [y/N] ' : 'Grant these permissions and install? [y/N] ', { signal: ac.signal }).catch(() => '');
                  return /^y(es)?$/i.test(a.trim());
                } finally {
                  rl.close();
                }
              }
            : undefined,
        }).finally(() => progress?.done());
        let pinned: { tools: number; blocked: string[] } | undefined;
        if (o.pinNow && r.kind === 'mcp-server') {
          const a = await approve(`${r.publisher}/${r.name}`, { root: o.root, policy, yes: true, source: 'install', onReport: (_l, m) => warn(ctx.out, m) });
          pinned = { tools: Object.keys(a.surface.items.tools).length, blocked: a.blocked.map((b) => `${b.kind}/${b.key}`) };
        }
        return {
          result: { ...r, ...(pinned ? { pinned } : {}) },
          human: `installed ${r.publisher}/${r.name}@${r.version} (${r.kind})${r.previous_version ? ` replacing ${r.previous_version}` : ''} -> ${r.path}\n  signed by ${r.signers.join(', ') || '(UNSIGNED)'}\n  permissions: ${safeLine(describePermissions(r.permissions).join('; '))}${r.config && Object.keys(r.config).length ? `\n  config: ${safeLine(Object.entries(r.config).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', '))}` : ''}${r.findings.length ? `\n  scan: ${r.verdict}\n${renderFindings(r.findings)}` : ''}${pinned ? `\n  pinned ${pinned.tools} tool(s)${pinned.blocked.length ? `; HIDDEN by the scanner: ${pinned.blocked.join(', ')}` : ''}` : ''}`,
        };
      }),
    );
}

/**
 * `--config KEY=VALUE` pairs as a record (the first `=` splits; a later pair for the same key wins).
 * @throws AextError E_USAGE for a pair without `=` or with an empty key.
 */
export function configPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new AextError('E_USAGE', `--config ${JSON.stringify(p.length > 40 ? `${p.slice(0, 40)}…` : p.slice(0, i < 0 ? undefined : i))}: expected KEY=VALUE`, {});
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** Asks for one user_config value on the terminal; a sensitive one is read without echo. Ctrl-C / Ctrl-D leave it unset. */
async function askValue(key: string, opt: UserConfigOption): Promise<string | undefined> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const label = safeLine(`${opt.title ?? key}${opt.description ? ` — ${opt.description}` : ''}`);
    const ac = new AbortController();
    rl.once('SIGINT', () => ac.abort());
    rl.once('close', () => ac.abort());
    const q = rl.question(`${label}\n  user_config.${safeLine(key)} (${opt.type}${opt.multiple ? ', comma-separated' : ''}${opt.sensitive ? ', hidden' : ''}): `, { signal: ac.signal });
    muted = opt.sensitive === true;
    const a = await q.catch(() => undefined);
    if (muted) process.stderr.write('\n');
    return a;
  } finally {
    rl.close();
  }
}
