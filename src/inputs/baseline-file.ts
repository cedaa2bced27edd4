/**
 * Reading an operator baseline file from disk (the scanner itself never touches the
 * file system; see scan/baseline.ts for the format and matching rules).
 */
import { readInput } from '../util/fs.js';
import { parseBaseline, type Baseline } from '../scan/baseline.js';

/**
 * Reads and checks a baseline file given by the operator.
 * @throws AextError E_NOT_FOUND / E_IO; E_POLICY_INVALID for a malformed baseline.
 */
export async function loadBaseline(file: string): Promise<Baseline> {
  return parseBaseline((await readInput(file)).toString('utf8'), file);
}
