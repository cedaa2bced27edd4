/** The context every command module receives (kept apart from main.ts so commands never import it). */
import type { CommandOutcome, Out } from './output.js';

/** What command files get: output settings and the runner. */
export interface Ctx {
  out: Out;
  /** Set by --sarif commands: printed instead of the JSON/human outcome. */
  sarif?: object;
  run(command: string, body: () => Promise<CommandOutcome>): Promise<void>;
}
