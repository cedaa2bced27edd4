/**
 * The environment an extension gets inside the sandbox: only what it
 * declared (`permissions.env`, from the caller's environment) and what its
 * signed `mcp_config.env` sets, never a variable that changes what the
 * runtime loads before the extension's own code runs (the preload and
 * library-injection variables of Node, the dynamic linker, Python, Perl,
 * Ruby, Java and shells: ld.so(8), node(1), python(1), perlrun(1),
 * ruby(1), the JVM's JAVA_TOOL_OPTIONS, bash(1) BASH_ENV/ENV), nor one that
 * aext sets itself (PATH, HOME, TMPDIR, the proxy and CA variables).
 */
import path from 'node:path';
import { AextError } from '../errors.js';
import type { Permissions } from '../types.js';

/** Variables that make a runtime load other code; refused in mcp_config.env and permissions.env. */
export const LOADER_ENV: readonly RegExp[] = [
  /^NODE_OPTIONS$/, /^NODE_PATH$/, /^NODE_REPL_EXTERNAL_MODULE$/,
  /^LD_/, /^DYLD_/,
  /^PYTHON(?:PATH|STARTUP|HOME|USERBASE|INSPECT|BREAKPOINT|EXECUTABLE|SAFEPATH)$/,
  /^PERL5?(?:OPT|LIB|DB)$/, /^RUBY(?:OPT|LIB)$/,
  /^(?:JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|CLASSPATH)$/,
  /^(?:BASH_ENV|ENV|ZDOTDIR|PROMPT_COMMAND|PS4|SHELLOPTS|BASHOPTS|IFS)$/, /^BASH_FUNC_/,
  /^GIT_(?:SSH_COMMAND|EXEC_PATH|CONFIG_GLOBAL|CONFIG_SYSTEM|ASKPASS)$/,
];
/** Variables aext sets inside the sandbox; an extension may not set them. */
export const RESERVED_ENV: readonly RegExp[] = [
  /^(?:PATH|HOME|TMPDIR)$/, /^(?:HTTPS?|ALL|NO)_PROXY$/i, /^(?:NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE)$/, /^AEXT_/,
];

/**
 * True when a PYTHONPATH value names only directories inside `dir` (the signed install directory, or the
 * literal `${__dirname}` before substitution): the layout MCPB Python bundles use (`server/lib`), which adds
 * only signed, scanned code to the import path. Empty entries (which mean the working directory) are not inside.
 */
export function pythonPathInside(value: string, dir: string): boolean {
  const parts = value.split(':');
  return parts.length > 0 && parts.every((e) => {
    if (dir === '${__dirname}') return (e === dir || e.startsWith(`${dir}/`)) && escapingPaths(e, dir).length === 0;
    const abs = path.resolve(e);
    return path.isAbsolute(e) && (abs === dir || abs.startsWith(dir + path.sep));
  });
}

/**
 * Why `name` may not be set by an extension, or undefined.
 * @param set the value the extension's signed `mcp_config` gives it and the directory it is read against
 *   (the install directory, or the literal `${__dirname}` before substitution): a PYTHONPATH inside that
 *   directory adds only signed code ({@link pythonPathInside}) and is allowed. Without it (a variable passed
 *   from the caller) every loader variable is refused.
 */
export function forbiddenEnv(name: string, set?: { value: string; dir: string }): string | undefined {
  if (name === 'PYTHONPATH' && set && pythonPathInside(set.value, set.dir)) return undefined;
  if (LOADER_ENV.some((re) => re.test(name))) return 'it changes what the runtime loads';
  if (RESERVED_ENV.some((re) => re.test(name))) return 'aext sets it inside the sandbox';
  return undefined;
}

/**
 * Builds the extension's environment.
 * @param perms granted permissions (`env` lists the caller variables that pass).
 * @param fixed `mcp_config.env` after substitution (signed values).
 * @param caller the caller's environment. @param installDir the install directory: a signed PYTHONPATH
 *   inside it is allowed ({@link pythonPathInside}).
 * @returns `{ env, missing }` (`missing` = declared variables the caller did not set).
 * @throws AextError E_ENV_FORBIDDEN naming the variable and where it came from.
 */
export function extensionEnv(perms: Permissions, fixed: Record<string, string>, caller: NodeJS.ProcessEnv, label: string, installDir?: string): { env: Record<string, string>; missing: string[] } {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const [k, v] of Object.entries(fixed)) {
    const why = forbiddenEnv(k, installDir ? { value: v, dir: installDir } : undefined);
    if (why) throw new AextError('E_ENV_FORBIDDEN', `${label}: mcp_config.env sets ${k}, which is refused: ${why}`, { entry: k });
    env[k] = v;
  }
  for (const k of perms.env ?? []) {
    const why = forbiddenEnv(k);
    if (why) throw new AextError('E_ENV_FORBIDDEN', `${label}: permissions.env declares ${k}, which is refused: ${why}`, { entry: k });
    const v = caller[k];
    if (v === undefined) missing.push(k);
    else env[k] = v;
  }
  return { env, missing };
}

/**
 * The paths in a launch value that leave the directory a substitution token stands for
 * (`${__dirname}/../..`): each occurrence of `token` is followed up to the next separator a
 * config value may use (`=`, `:`, `,`) or the next token, and normalised. Shared by the
 * install-time scan (AEXT-RUN-001) and the launcher, so both apply the same rule.
 * @returns the escaping paths, relative to the token's directory (empty when all stay inside).
 */
export function escapingPaths(value: string, token: string): string[] {
  const out: string[] = [];
  for (let at = value.indexOf(token); at >= 0; at = value.indexOf(token, at + 1)) {
    const rest = value.slice(at + token.length).split(/[=:,]|\$\{/)[0]!;
    // Appended to the directory as text (`${__dirname}x` is a sibling, `${__dirname}/../y` a parent's child).
    const norm = path.posix.normalize(`/d${rest}`);
    if (norm !== '/d' && !norm.startsWith('/d/')) out.push(rest);
  }
  return out;
}
