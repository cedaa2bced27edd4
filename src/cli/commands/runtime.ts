import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { approve, describeRun, exec, loadPolicy, run, safeText } from '../../index.js';
import { warn } from '../output.js';
import type { Ctx } from '../context.js';

interface LaunchFlags {
  root?: string;
  policy?: string;
  sandbox?: boolean;
  workspace?: string;
}

/** Registers `aext run`, `aext exec` and `aext approve` (CONTRACT §2) on `program`. */
export function register(program: Command, ctx: Ctx): void {
  const common = (c: Command) =>
    c
      .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
      .option('--policy <file>', 'policy JSON (runtime.allow_no_sandbox, runtime.tool_fail_on, limits.maxMcpMessageBytes)')
      .option('--workspace <dir>', 'directory that relative declared paths resolve against (default: the current directory)')
      .option('--no-sandbox', 'run UNCONFINED (loud; a policy can forbid it)');
  const base = async (o: LaunchFlags) => ({
    root: o.root,
    policy: o.policy ? await loadPolicy(o.policy) : undefined,
    noSandbox: o.sandbox === false,
    ...(o.workspace ? { workDir: o.workspace } : {}),
    onReport: (_l: 'info' | 'warn', m: string) => warn(ctx.out, safeText(m)),
  });

  common(
    program
      .command('run')
      .description('stdio launcher of an installed MCP server: files re-checked, sandboxed, behind the pinning MCP proxy')
      .argument('<name>', 'publisher/name (or name when unambiguous)')
      .argument('[args...]', "after --: arguments appended to the server's own (a database URL, a folder to serve)")
      .option('--print-sandbox', 'print the sandbox (bwrap argv, mounts, environment) as JSON and start nothing'),
  ).action((name: string, extraArgs: string[], o: LaunchFlags & { printSandbox?: boolean }) => {
    if (o.printSandbox) {
      return ctx.run('run', async () => {
        const d = await describeRun(name, { ...(await base(o)), extraArgs });
        const human = [`${d.key}: ${d.program} ${d.args.join(' ')}`, ...d.plan.mounts.map((m) => `  ${m.kind.padEnd(7)} ${m.dest}${m.src && m.src !== m.dest ? ` <- ${m.src}` : ''}  (${m.why})`), `  env: ${Object.keys(d.plan.env).sort().join(', ')}`].map(safeText).join('\n');
        return { result: { ...d }, human };
      });
    }
    // stdout is the MCP stream: nothing else is ever written there, JSON errors included.
    ctx.out.json = false;
    return ctx.run('run', async () => {
      // A host stops its server with a signal: stop the sandbox the MCP way and clean up, instead of dying mid-write.
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
      for (const sig of signals) process.on(sig, onSignal);
      try {
        const r = await run(name, { ...(await base(o)), extraArgs, input: process.stdin, output: process.stdout, errput: process.stderr, signal: ac.signal });
        return { result: {}, human: '', printed: true, status: r.exitCode };
      } finally {
        for (const sig of signals) process.off(sig, onSignal);
        // The server may end before the client closes its side: stop reading, or the process would wait on stdin.
        process.stdin.destroy();
      }
    });
  });

  common(
    program
      .command('exec')
      .description('run a hook command or skill script of an installed extension in its sandbox')
      .argument('<name>', 'publisher/name (or name when unambiguous)')
      .argument('<command...>', 'after --: the program and its arguments (with --shell: one command line)')
      .option('--shell', 'run the command line with /bin/sh -c (needs permissions.shell)'),
  ).action((name: string, command: string[], o: LaunchFlags & { shell?: boolean }) =>
    ctx.run('exec', async () => {
      const status = await exec(name, command, { ...(await base(o)), shell: o.shell === true });
      return { result: { status }, human: '', printed: !ctx.out.json, status };
    }),
  );

  common(
    program
      .command('approve')
      .description('show how the server\'s tools, prompts and resources differ from the pinned ones, and pin them')
      .argument('<name>', 'publisher/name (or name when unambiguous)')
      .argument('[args...]', 'after --: the arguments the server is run with (as for aext run)')
      .option('--yes', 'pin without asking'),
  ).action((name: string, extraArgs: string[], o: LaunchFlags & { yes?: boolean }) =>
    ctx.run('approve', async () => {
      const interactive = !ctx.out.json && process.stdin.isTTY === true && process.stderr.isTTY === true;
      const show = (r: { diff: { added: Array<{ kind: string; key: string }>; removed: Array<{ kind: string; key: string }>; changed: Array<{ kind: string; key: string; fields: string[] }> }; blocked: Array<{ kind: string; key: string; rules: string[] }> }) => {
        const lines: string[] = [];
        for (const a of r.diff.added) lines.push(`  + ${a.kind} ${a.key}`);
        for (const c of r.diff.changed) lines.push(`  ~ ${c.kind} ${c.key} (${c.fields.join(', ')})`);
        for (const d of r.diff.removed) lines.push(`  - ${d.kind} ${d.key}`);
        for (const b of r.blocked) lines.push(`  ! ${b.kind} ${b.key} stays HIDDEN: ${b.rules.join(', ')}`);
        return lines.length ? lines.map(safeText).join('\n') : '  (no difference from the pinned surface)';
      };
      const r = await approve(name, {
        ...(await base(o)),
        extraArgs,
        yes: o.yes === true,
        confirm: interactive
          ? async (d) => {
              process.stderr.write(`${safeText(d.key)}: the server now lists:\n${show(d)}\n`);
              const rl = createInterface({ input: process.stdin, output: process.stderr });
              try {
                return /^y(es)?$/i.test((await rl.question('Pin this surface? [y/N] ')).trim());
              } finally {
                rl.close();
              }
            }
          : undefined,
      });
      const human = `${safeText(r.key)}: ${r.approved ? 'pinned' : 'NOT pinned (use --yes, or run on a terminal)'}\n${show(r)}`;
      return { result: { key: r.key, approved: r.approved, diff: r.diff, blocked: r.blocked }, human };
    }),
  );
}
