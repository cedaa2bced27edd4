/**
 * The aext command line (CONTRACT §2): a thin commander skin over the
 * library. Parses flags, calls one library function, prints the outcome and
 * returns the exit code (CONTRACT §3). The only module that reads argv.
 */
import { Command, CommanderError } from 'commander';
import { AextError } from '../errors.js';
import { VERSION } from '../version.js';
import { reportError, runCommand, type CommandOutcome, type Out } from './output.js';
import { register as keygen } from './commands/keygen.js';
import { register as init } from './commands/init.js';
import { register as validate } from './commands/validate.js';
import { register as scan } from './commands/scan.js';
import { register as pack } from './commands/pack.js';
import { register as sign } from './commands/sign.js';
import { register as verify } from './commands/verify.js';
import { register as inspect } from './commands/inspect.js';
import { register as install } from './commands/install.js';
import { register as list } from './commands/list.js';
import { register as check } from './commands/check.js';
import { register as trust } from './commands/trust.js';
import { register as policy } from './commands/policy.js';
import { register as revocations } from './commands/revocations.js';
import { register as audit } from './commands/audit.js';
import { register as runtime } from './commands/runtime.js';
import { register as connectCmd } from './commands/connect.js';

/** What command files get: output settings and the runner. */
export interface Ctx {
  out: Out;
  /** Set by --sarif commands: printed instead of the JSON/human outcome. */
  sarif?: object;
  run(command: string, body: () => Promise<CommandOutcome>): Promise<void>;
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code
 * (CONTRACT §3; `run` and `exec` pass their program's status through).
 * Never throws; never calls process.exit.
 */
export async function main(argv: string[]): Promise<number> {
  const out: Out = { json: argv.includes('--json'), quiet: argv.includes('--quiet') || argv.includes('-q') };
  let exit: number = 0;
  let current = argv.find((a) => !a.startsWith('-')) ?? 'aext';
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
  for (const reg of [keygen, init, validate, scan, pack, sign, verify, inspect, install, list, check, trust, policy, revocations, audit, runtime, connectCmd]) reg(program, ctx);
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
  }
  return exit;
}
