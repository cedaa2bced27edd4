/**
 * The aext command line (CONTRACT §2): a thin commander skin over the
 * library. Parses flags, calls one library function, prints the outcome and
 * returns the exit code (CONTRACT §3). The only module that reads argv.
 */
import { Command, CommanderError } from 'commander';
import { stat } from 'node:fs/promises';
import { AextError, prepareScan, VERSION } from '../index.js';
import { reportError, runCommand, type Out } from './output.js';
import type { Ctx } from './context.js';
export type { Ctx } from './context.js';
/** Where each command is defined: only the module of the command being run is loaded (start-up cost). */
const COMMANDS: Record<string, () => Promise<{ register: (program: Command, ctx: Ctx) => void }>> = {
  keygen: () => import('./commands/keygen.js'),
  init: () => import('./commands/init.js'),
  validate: () => import('./commands/validate.js'),
  scan: () => import('./commands/scan.js'),
  pack: () => import('./commands/pack.js'),
  sign: () => import('./commands/sign.js'),
  verify: () => import('./commands/verify.js'),
  inspect: () => import('./commands/inspect.js'),
  install: () => import('./commands/install.js'),
  list: () => import('./commands/list.js'),
  uninstall: () => import('./commands/list.js'),
  check: () => import('./commands/check.js'),
  trust: () => import('./commands/trust.js'),
  policy: () => import('./commands/policy.js'),
  revocations: () => import('./commands/revocations.js'),
  audit: () => import('./commands/audit.js'),
  run: () => import('./commands/runtime.js'),
  exec: () => import('./commands/runtime.js'),
  approve: () => import('./commands/runtime.js'),
  config: () => import('./commands/config.js'),
  connect: () => import('./commands/connect.js'),
  disconnect: () => import('./commands/connect.js'),
};


/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code
 * (CONTRACT §3; `run` and `exec` pass their program's status through).
 * Never throws; never calls process.exit.
 */
export async function main(argv: string[]): Promise<number> {
  performance.mark('aext:main', { detail: [process.memoryUsage.rss(), process.resourceUsage().minorPageFault] });
  const out: Out = { json: argv.includes('--json'), quiet: argv.includes('--quiet') || argv.includes('-q') };
  let exit: number = 0;
  let current = argv.find((a) => !a.startsWith('-')) ?? 'aext';
  // A large archive's scan worker boots while the CLI and the command load (issue 12).
  if (current === 'install' || current === 'check') {
    const target = argv.slice(argv.indexOf(current) + 1).find((a) => !a.startsWith('-'));
    if (target) void stat(target).then((st) => (st.isFile() ? prepareScan(st.size) : undefined), () => undefined);
  }
  const ctx: Ctx = {
    out,
    run: async (command, body) => {
      current = command;
      exit = await runCommand(command, out, async () => {
        const r = await body();
        if (ctx.sarif) {
          process.stdout.write(JSON.stringify(ctx.sarif, null, 2) + '\n');
          return { ...r, printed: true };
        }
        return r;
      });
    },
  };
  const program = new Command();
  program
    .name('aext')
    .description('pack, sign, verify, scan and safely install agent extensions')
    .version(VERSION, '-V, --version')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('-q, --quiet', 'no warnings or progress on stderr')
    .enablePositionalOptions(false)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => (out.json ? process.stderr.write(s) : process.stdout.write(s)),
      writeErr: (s) => process.stderr.write(s),
      outputError: () => undefined,
    });
  // The command named in argv (the first word that is not a flag) is the only one loaded; help and unknown words load all.
  const word = argv.find((a) => !a.startsWith('-'));
  const versionOnly = !word && (argv.includes('-V') || argv.includes('--version'));
  const loaders = versionOnly ? [] : word && COMMANDS[word] ? [COMMANDS[word]] : Object.values(COMMANDS);
  // import() returns one namespace object per module, so a module named by two commands registers once.
  for (const m of new Set(await Promise.all(loaders.map((l) => l())))) m.register(program, ctx);
  const addCommon = (c: Command) => {
    c.option('--json', 'print exactly one JSON object on stdout').option('-q, --quiet', 'no warnings or progress on stderr').exitOverride();
    c.commands.forEach(addCommon);
  };
  program.commands.forEach(addCommon);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return reportError(current, out, new AextError('E_USAGE', e.message.replace(/^error: /, ''), {}));
    }
    return reportError(current, out, e);
  } finally {
    if (process.env.AEXT_TRACE === '1') printMarks();
  }
  return exit;
}

/**
 * AEXT_TRACE=1: prints the library's phase marks (`performance.mark('aext:…')`) to stderr, in ms
 * since the process started, for profiling a slow command.
 */
function printMarks(): void {
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  for (const m of performance.getEntriesByType('mark')) {
    const d = (m as { detail?: unknown }).detail;
    const [rss, faults] = Array.isArray(d) ? (d as number[]) : [];
    if (m.name.startsWith('aext:')) process.stderr.write(`${m.name} ${m.startTime.toFixed(1)} ms${rss !== undefined ? `, RSS ${mb(rss)}, ${faults} faults` : ''}\n`);
  }
  const u = process.memoryUsage();
  process.stderr.write(`aext:memory peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}; now heap ${mb(u.heapTotal)}, external ${mb(u.external)}, array buffers ${mb(u.arrayBuffers)}\n`);
}
