/**
 * Stored user configuration of an installed MCP server: `ROOT/config/<publisher>/<name>.json`
 * (directory 0700, file 0600, written atomically after the install committed, kept across
 * updates, removed by `uninstall`). Sensitive values are never in the lockfile, in `--json`
 * output or in messages. The values' rules are `manifest/user-config.ts`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AextError, toAextError } from '../errors.js';
import { checkEntryName } from '../util/paths.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { parseStrictJson } from '../util/json.js';
import { writeFileAtomic } from '../util/fs.js';
import type { ConfigValues } from '../manifest/user-config.js';

/** Config file of an extension, relative to ROOT (`config/<publisher>/<name>.json`). */
export function configFileOf(publisher: string, name: string): string {
  checkEntryName(`${publisher}/${name}`, DEFAULT_LIMITS);
  return path.posix.join('config', publisher, `${name}.json`);
}

/**
 * Reads the stored values of an extension ({} when there are none).
 * @throws AextError E_CONFIG_INVALID (not a JSON object of values), E_IO.
 */
export async function readConfig(root: string, publisher: string, name: string): Promise<ConfigValues> {
  const f = path.join(root, configFileOf(publisher, name));
  let text: string;
  try {
    text = await fsp.readFile(f, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw toAextError(e, { file: f });
  }
  let v: unknown;
  try {
    v = parseStrictJson(text);
  } catch (e) {
    throw new AextError('E_CONFIG_INVALID', `${f}: ${(e as Error).message}`, { file: f });
  }
  const values = (v as { values?: unknown }).values;
  if (!v || typeof v !== 'object' || !values || typeof values !== 'object' || Array.isArray(values)) throw new AextError('E_CONFIG_INVALID', `${f}: expected {"values": {…}}`, { file: f });
  return values as ConfigValues;
}

/**
 * Writes the values of an extension atomically (directory 0700, file 0600); removes the file when
 * there are no values.
 * @throws AextError E_IO.
 */
export async function writeConfig(root: string, publisher: string, name: string, values: ConfigValues): Promise<void> {
  const f = path.join(root, configFileOf(publisher, name));
  try {
    if (!Object.keys(values).length) {
      await fsp.rm(f, { force: true });
      return;
    }
    await fsp.mkdir(path.dirname(f), { recursive: true, mode: 0o700 });
    await fsp.chmod(path.join(root, 'config'), 0o700);
    await fsp.chmod(path.dirname(f), 0o700);
    await writeFileAtomic(f, JSON.stringify({ values }, null, 2) + '\n', 0o600);
  } catch (e) {
    throw toAextError(e, { file: f });
  }
}

