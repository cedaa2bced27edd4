/**
 * Editing a host client's JSON or JSONC config file without disturbing what
 * aext does not own: edits go through jsonc-parser's `modify`, which rewrites
 * only the changed member and keeps every other byte — comments, order,
 * indentation — as it was. The change is written atomically (temp + fsync +
 * rename, to the symlink's target when the file is a symlink, keeping its
 * mode), after the previous content is saved as `<file>.aext-backup`.
 * A file that does not parse is never touched.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { applyEdits, modify, parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { AextError, toAextError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

/** A loaded config file. */
export interface ConfigFile {
  /** The path as named. */
  file: string;
  /** Where writes go (the symlink target when `file` is a symlink). */
  target: string;
  exists: boolean;
  text: string;
  /** Parsed value (an object). */
  value: Record<string, unknown>;
  /** File mode to keep (0600 for a new file: entries may carry secrets). */
  mode: number;
  jsonc: boolean;
}

/**
 * Reads and parses a config file (a missing file is an empty object).
 * @param jsonc accept comments and trailing commas (VS Code); otherwise strict JSON.
 * @throws AextError E_HOST_CONFIG_INVALID (not JSON/JSONC, or not an object), E_IO.
 */
export async function loadConfig(file: string, jsonc: boolean): Promise<ConfigFile> {
  let target = file;
  try {
    target = await fsp.realpath(file);
  } catch {
    /* missing: written where named */
  }
  let text = '';
  let exists = true;
  let mode = 0o600;
  try {
    text = await fsp.readFile(target, 'utf8');
    mode = (await fsp.stat(target)).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw toAextError(e, { file });
    exists = false;
  }
  if (text.charCodeAt(0) === 0xfeff) throw new AextError('E_HOST_CONFIG_INVALID', `${file} starts with a byte-order mark; left as it is`, { file });
  let value: unknown = {};
  if (text.trim() !== '') {
    const errors: ParseError[] = [];
    value = parse(text, errors, { allowTrailingComma: jsonc, disallowComments: !jsonc, allowEmptyContent: false });
    if (errors.length) {
      const e = errors[0]!;
      const line = text.slice(0, e.offset).split('\n').length;
      throw new AextError('E_HOST_CONFIG_INVALID', `${file}:${line}: ${printParseErrorCode(e.error)}; the file was left as it is`, { file });
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new AextError('E_HOST_CONFIG_INVALID', `${file} is not a JSON object; the file was left as it is`, { file });
  return { file, target, exists, text, value: value as Record<string, unknown>, mode, jsonc };
}

/**
 * Sets (or with `value` undefined, removes) the member at `keyPath`.
 * @returns the new text (the input is not changed).
 */
export function editConfig(c: ConfigFile, keyPath: string[], value: unknown): string {
  const base = c.text.trim() === '' ? '{}\n' : c.text;
  const edits = modify(base, keyPath, value, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } });
  return applyEdits(base, edits);
}

/** Parses edited text again (the edit must leave a valid file). @throws AextError E_INTERNAL when it does not. */
export function reparse(c: ConfigFile, text: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const v = parse(text, errors, { allowTrailingComma: c.jsonc, disallowComments: !c.jsonc });
  if (errors.length || !v || typeof v !== 'object') throw new AextError('E_INTERNAL', `editing ${c.file} produced invalid JSON (this is a bug); nothing was written`, { file: c.file });
  return v as Record<string, unknown>;
}

/**
 * Writes `text` to the config atomically, after a backup of the old content.
 * Does nothing when the text is unchanged (idempotent).
 * @returns whether the file changed. @throws AextError E_IO / E_NO_SPACE (the old file stays).
 */
export async function saveConfig(c: ConfigFile, text: string): Promise<boolean> {
  if (c.exists && text === c.text) return false;
  reparse(c, text);
  try {
    await fsp.mkdir(path.dirname(c.target), { recursive: true, mode: 0o700 });
    if (c.exists) await writeFileAtomic(`${c.target}.aext-backup`, c.text, c.mode);
    await writeFileAtomic(c.target, text, c.mode);
  } catch (e) {
    throw toAextError(e, { file: c.file });
  }
  return true;
}
