/**
 * `aext config`: shows and changes the user_config values of an installed MCP server
 * (MCPB `user_config`; see manifest/user-config.ts for the rules and store/user-config.ts for storage).
 * The options come from the installed, signed aext.json; values are checked against them exactly
 * as at install. Runs under the root lock; a refused change leaves the stored values as they were.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AextError } from './errors.js';
import type { Manifest, UserConfigOption } from './types.js';
import { parseConfigValue, redactConfig, type ConfigValues } from './manifest/user-config.js';
import { readConfig, writeConfig } from './store/user-config.js';
import { readLock, resolveKey } from './store/lockfile.js';
import { resolveRoot, withRoot } from './store/root.js';
import { parseStrictJson } from './util/json.js';

/** Result of {@link configure}: the options and the stored values (sensitive ones as "(set)"). */
export interface ConfigureResult {
  root: string;
  extension: string;
  options: Record<string, UserConfigOption>;
  values: ConfigValues;
  /** Keys changed by this call. */
  changed: string[];
}

/**
 * Shows, sets or unsets user_config values of an installed extension.
 * @param name publisher/name, or name when unambiguous. @param opts.set values as text by key; opts.unset keys to remove.
 * @throws AextError E_NOT_INSTALLED, E_USAGE (ambiguous name), E_CONFIG_INVALID (undeclared key, bad value),
 *   E_ARCHIVE_CHANGED (installed aext.json unreadable), E_IO.
 */
export async function configure(name: string, opts: { root?: string; set?: Record<string, string>; unset?: string[] } = {}): Promise<ConfigureResult> {
  const root = resolveRoot(opts.root);
  const exists = await fsp.stat(root).then(() => true, () => false);
  if (!exists) throw new AextError('E_NOT_INSTALLED', `${name} is not installed (no root at ${root})`, { entry: name });
  return withRoot(root, async () => {
    const lock = await readLock(root);
    const key = resolveKey(lock, name);
    const entry = lock.extensions[key];
    if (!entry) throw new AextError('E_NOT_INSTALLED', `${name} is not installed in ${root}`, { entry: name });
    let manifest: Manifest;
    try {
      manifest = parseStrictJson(await fsp.readFile(path.join(root, entry.path, 'aext.json'), 'utf8')) as Manifest;
    } catch (e) {
      throw new AextError('E_ARCHIVE_CHANGED', `${key}: installed aext.json does not parse (${(e as Error).message})`, { entry: 'aext.json' });
    }
    const options = manifest.user_config ?? {};
    const values = { ...(await readConfig(root, entry.publisher, entry.name)) };
    const changed: string[] = [];
    for (const k of [...Object.keys(opts.set ?? {}), ...(opts.unset ?? [])]) {
      if (!Object.hasOwn(options, k)) throw new AextError('E_CONFIG_INVALID', `${key} declares no user_config option ${JSON.stringify(k)}${Object.keys(options).length ? ` (it declares ${Object.keys(options).join(', ')})` : ' (it declares none)'}`, { entry: k });
    }
    for (const [k, v] of Object.entries(opts.set ?? {})) {
      values[k] = parseConfigValue(k, options[k]!, v, os.homedir());
      changed.push(k);
    }
    for (const k of opts.unset ?? []) {
      if (Object.hasOwn(values, k)) {
        delete values[k];
        changed.push(k);
      }
    }
    if (changed.length) await writeConfig(root, entry.publisher, entry.name, values);
    return { root, extension: key, options, values: redactConfig(manifest, values), changed };
  });
}
