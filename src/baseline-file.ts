/**
 * Reading an operator baseline file from disk (the scanner itself never touches the
 * file system; see scan/baseline.ts for the format and matching rules).
 */
import { promises as fsp } from 'node:fs';
import { toAextError } from './errors.js';
import { parseBaseline, type Baseline } from './scan/baseline.js';

/**
 * Reads and checks a baseline file given by the operator.
 * @throws AextError E_NOT_FOUND / E_IO; E_POLICY_INVALID for a malformed baseline.
 */
export async function loadBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw toAextError(e, { file });
  }
  return parseBaseline(text, file);
}
