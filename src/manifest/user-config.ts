/**
 * User configuration of an MCP server (MCPB `user_config`,
 * https://github.com/modelcontextprotocol/mcpb/blob/main/MANIFEST.md#user-configuration): the pure
 * part — parsing values given as text, resolving what an install stores, and substituting
 * `${user_config.KEY}` into `server.mcp_config`. Storage is `store/user-config.ts`.
 */
import path from 'node:path';
import { AextError } from '../errors.js';
import type { Manifest, UserConfigOption } from '../types.js';

/** One stored value: a list when the option is `multiple`. */
export type ConfigValue = string | number | boolean | string[];
/** The stored values of one extension, by key. */
export type ConfigValues = Record<string, ConfigValue>;

/** `${user_config.KEY}` tokens (keys as the schema allows them). */
const TOKEN = /\$\{user_config\.([A-Za-z_][A-Za-z0-9_-]{0,63})\}/g;

/** Keys referenced as `${user_config.KEY}` in the given strings, in first-seen order. */
export function configRefs(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) for (const m of v.matchAll(TOKEN)) if (!out.includes(m[1]!)) out.push(m[1]!);
  return out;
}

/**
 * Parses and checks one value given as text (`--config KEY=VALUE`, the prompt) against its option.
 * number: a finite number within min/max; boolean: true/false/yes/no/1/0; directory and file:
 * an absolute path (`~/` expands to `home`); multiple: comma-separated. Values are not trimmed.
 * @throws AextError E_CONFIG_INVALID naming the key (and never echoing a sensitive value).
 */
export function parseConfigValue(key: string, opt: UserConfigOption, text: string, home: string): ConfigValue {
  const shown = opt.sensitive ? '(sensitive value)' : JSON.stringify(text);
  const bad = (why: string) => new AextError('E_CONFIG_INVALID', `user_config.${key}: ${shown} ${why}`, { entry: key });
  const one = (t: string): string | number | boolean => {
    switch (opt.type) {
      case 'number': {
        const n = t.trim() === '' ? NaN : Number(t);
        if (!Number.isFinite(n)) throw bad('is not a number');
        if (opt.min !== undefined && n < opt.min) throw bad(`is below the minimum ${opt.min}`);
        if (opt.max !== undefined && n > opt.max) throw bad(`is above the maximum ${opt.max}`);
        return n;
      }
      case 'boolean': {
        const l = t.toLowerCase();
        if (['true', 'yes', '1'].includes(l)) return true;
        if (['false', 'no', '0'].includes(l)) return false;
        throw bad('is not true or false');
      }
      case 'directory':
      case 'file': {
        const p = t === '~' ? home : t.startsWith('~/') ? path.join(home, t.slice(2)) : t;
        if (!path.isAbsolute(p)) throw bad(`is not an absolute path (a ${opt.type} is given as /abs/path or ~/path)`);
        return path.normalize(p);
      }
      default:
        if (t.length > 4096) throw bad('is longer than 4096 characters');
        return t;
    }
  };
  if (opt.multiple) {
    const parts = text === '' ? [] : text.split(',');
    return parts.map((x) => String(one(x)));
  }
  return one(text);
}

/** A stored or default value, checked against its option's type (a hand-edited config file is input too). */
function typed(key: string, opt: UserConfigOption, v: unknown, where: string): ConfigValue {
  const bad = () => new AextError('E_CONFIG_INVALID', `user_config.${key} in ${where} is not a ${opt.multiple ? `list of ${opt.type}` : opt.type}`, { entry: key });
  if (opt.multiple) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad();
    return v as string[];
  }
  if (opt.type === 'number' ? typeof v !== 'number' : opt.type === 'boolean' ? typeof v !== 'boolean' : typeof v !== 'string') throw bad();
  return v as ConfigValue;
}

/**
 * Resolves the values an install will store: given values (already parsed) win, then values kept
 * from the previous install, then the options' defaults. Keys the manifest does not declare are
 * refused; values for options a new version dropped are left out.
 * @param ask called for each option still without a value when it is required (TTY installs); may return undefined.
 * @returns the values to store, and the required keys still missing (the caller refuses the install).
 * @throws AextError E_CONFIG_INVALID (an undeclared key, a wrongly typed kept value).
 */
export async function resolveConfig(
  manifest: Pick<Manifest, 'user_config'>,
  given: Record<string, string>,
  kept: ConfigValues,
  home: string,
  ask?: (key: string, opt: UserConfigOption) => Promise<string | undefined>,
): Promise<{ values: ConfigValues; missing: string[] }> {
  const opts = manifest.user_config ?? {};
  for (const k of Object.keys(given)) if (!Object.hasOwn(opts, k)) throw new AextError('E_CONFIG_INVALID', `--config ${k}: the extension declares no user_config option ${JSON.stringify(k)}${Object.keys(opts).length ? ` (it declares ${Object.keys(opts).join(', ')})` : ''}`, { entry: k });
  const values: ConfigValues = {};
  const missing: string[] = [];
  for (const [k, opt] of Object.entries(opts)) {
    if (Object.hasOwn(given, k)) values[k] = parseConfigValue(k, opt, given[k]!, home);
    else if (Object.hasOwn(kept, k)) values[k] = typed(k, opt, kept[k], 'the stored config');
    else if (opt.required && ask) {
      const t = await ask(k, opt);
      if (t !== undefined && t !== '') values[k] = parseConfigValue(k, opt, t, home);
    }
    if (!Object.hasOwn(values, k) && opt.required && opt.default === undefined) missing.push(k);
  }
  return { values, missing };
}

/**
 * Substitutes `${user_config.KEY}` in one mcp_config value: the stored value, else the option's
 * default; a list value (`multiple`) becomes comma-joined inside a longer string.
 * @throws AextError E_CONFIG_REQUIRED (a required key without value or default), E_MANIFEST_INVALID
 *   (a token naming an undeclared key; validate refuses that at pack time already).
 */
export function substituteConfig(value: string, manifest: Pick<Manifest, 'user_config'>, values: ConfigValues, label: string): string {
  return value.replace(TOKEN, (_t, k: string) => String(valueFor(k, manifest, values, label)));
}

/**
 * The argument list with `${user_config.KEY}` substituted; an argument that is exactly one token
 * of a `multiple` option expands to one argument per item (as MCPB hosts do).
 * @throws AextError E_CONFIG_REQUIRED, E_MANIFEST_INVALID.
 */
export function substituteArgs(args: readonly string[], manifest: Pick<Manifest, 'user_config'>, values: ConfigValues, label: string): string[] {
  const out: string[] = [];
  for (const a of args) {
    const whole = /^\$\{user_config\.([A-Za-z_][A-Za-z0-9_-]{0,63})\}$/.exec(a);
    const v = whole ? valueFor(whole[1]!, manifest, values, label) : undefined;
    if (Array.isArray(v)) out.push(...v);
    else out.push(substituteConfig(a, manifest, values, label));
  }
  return out;
}

function valueFor(k: string, manifest: Pick<Manifest, 'user_config'>, values: ConfigValues, label: string): ConfigValue {
  const opt = manifest.user_config?.[k];
  if (!opt) throw new AextError('E_MANIFEST_INVALID', `${label}: mcp_config uses \${user_config.${k}}, which aext.json does not declare`, { entry: 'aext.json' });
  if (Object.hasOwn(values, k)) return values[k]!;
  if (opt.default !== undefined) return opt.default;
  if (opt.required) throw new AextError('E_CONFIG_REQUIRED', `${label}: user_config.${k} is required and has no value; set it with aext config ${label} ${k}=VALUE`, { entry: k });
  return opt.multiple ? [] : '';
}

/** Values safe to show or record: sensitive ones replaced by `"(set)"`. */
export function redactConfig(manifest: Pick<Manifest, 'user_config'>, values: ConfigValues): ConfigValues {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, manifest.user_config?.[k]?.sensitive ? '(set)' : v]));
}

const OPTION_TYPES = new Set(['string', 'number', 'boolean', 'directory', 'file']);

/**
 * An MCPB manifest's `user_config`, normalised to what aext.json's schema accepts: options with a
 * bad key or type are dropped, fields aext does not know are left out, each with a note for `init`
 * to print (aext.json stays strict; MCPB hosts are looser).
 * @returns the options (undefined when none survive) and the notes.
 */
export function normaliseUserConfig(raw: unknown): { options?: Record<string, UserConfigOption>; notes: string[] } {
  const notes: string[] = [];
  if (raw === undefined) return { notes };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { notes: ['manifest.json user_config is not an object: left out'] };
  const options: Record<string, UserConfigOption> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(k)) {
      notes.push(`user_config ${JSON.stringify(k)}: not a valid key, left out`);
      continue;
    }
    const o = v as Record<string, unknown>;
    if (!o || typeof o !== 'object' || !OPTION_TYPES.has(o.type as string)) {
      notes.push(`user_config.${k}: type ${JSON.stringify(o?.type)} is not string, number, boolean, directory or file; left out`);
      continue;
    }
    const opt: UserConfigOption = { type: o.type as UserConfigOption['type'] };
    if (typeof o.title === 'string') opt.title = o.title.slice(0, 200);
    if (typeof o.description === 'string') opt.description = o.description.slice(0, 2000);
    for (const b of ['required', 'sensitive', 'multiple'] as const) if (typeof o[b] === 'boolean') opt[b] = o[b] as boolean;
    for (const n of ['min', 'max'] as const) if (typeof o[n] === 'number' && Number.isFinite(o[n])) opt[n] = o[n] as number;
    const d = o.default;
    if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean' || (Array.isArray(d) && d.every((x) => typeof x === 'string'))) opt.default = d as UserConfigOption['default'];
    const unknown = Object.keys(o).filter((x) => !['type', 'title', 'description', 'required', 'sensitive', 'multiple', 'min', 'max', 'default'].includes(x));
    if (unknown.length) notes.push(`user_config.${k}: ${unknown.join(', ')} not kept (not in the MCPB option vocabulary aext records)`);
    options[k] = opt;
  }
  return { ...(Object.keys(options).length ? { options } : {}), notes };
}
