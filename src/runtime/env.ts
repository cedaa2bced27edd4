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

/** Why `name` may not be set by an extension, or undefined. */
export function forbiddenEnv(name: string): string | undefined {
  if (LOADER_ENV.some((re) => re.test(name))) return 'it changes what the runtime loads';
  if (RESERVED_ENV.some((re) => re.test(name))) return 'aext sets it inside the sandbox';
  return undefined;
}

/**
 * Builds the extension's environment.
 * @param perms granted permissions (`env` lists the caller variables that pass).
 * @param fixed `mcp_config.env` after substitution (signed values).
 * @param caller the caller's environment.
 * @returns `{ env, missing }` (`missing` = declared variables the caller did not set).
 * @throws AextError E_ENV_FORBIDDEN naming the variable and where it came from.
 */
export function extensionEnv(perms: Permissions, fixed: Record<string, string>, caller: NodeJS.ProcessEnv, label: string): { env: Record<string, string>; missing: string[] } {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const [k, v] of Object.entries(fixed)) {
    const why = forbiddenEnv(k);
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
