/**
 * `aext run`, `aext exec` and `aext approve`: start what was installed, and
 * only that, inside the sandbox its granted permissions describe. Each step
 * fails closed, in order:
 *   1. the lock entry (integrity digest) and the installed files against the
 *      signed INDEX kept at install ({@link checkInstalled}, verified cache);
 *   2. the launch: `mcp_config` with `${__dirname}` / `${__data_dir}`
 *      substituted (results must stay inside those directories), the
 *      environment ({@link extensionEnv}), the program resolved on the host;
 *   3. the sandbox ({@link planSandbox}) with bubblewrap, and the egress proxy
 *      when hosts are declared; `--no-sandbox` runs unconfined, loudly, unless
 *      the policy forbids it;
 *   4. for `run`, the MCP proxy ({@link startMcpProxy}) between the caller's
 *      stdio and the server, with the pinned surface from the lock.
 */
import { substituteArgs, substituteConfig, type ConfigValues } from '../manifest/user-config.js';
import { readConfig } from '../store/user-config.js';
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readHead } from './sandbox.js';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { packageRoot } from '../util/package-root.js';
import type { Readable, Writable } from 'node:stream';
import { AextError } from '../errors.js';
import { resolveLimits } from '../limits.js';
import type { Manifest, Permissions, Reporter, Severity } from '../types.js';
import type { Policy } from '../policy/policy.js';
import { parseStrictJson } from '../util/json.js';
import { ensureDataDir, resolveRoot, withRoot } from '../store/root.js';
import { entryIntegrity, readLock, resolveKey, writeLock, type LockEntry } from '../store/lockfile.js';
import { checkInstalled } from '../pipeline/installed.js';
import { escapingPaths, extensionEnv } from '../util/env-rules.js';
import { interpreterOf, planSandbox, type RuntimeKind, type SandboxPlan } from './sandbox.js';
import { startEgressProxy, type EgressProxy, type NetDecision } from './netproxy.js';
import { startMcpProxy, type ProxyEnd, type ProxyEvent } from './mcp-proxy.js';
import { diffSurface, emptySurface, itemKey, pinItem, SURFACE_KINDS, type Surface, type SurfaceDiff } from './surface.js';
import { listSurface, stopChild } from './mcp-client.js';

/** Options shared by run, exec and approve. */
export interface LaunchOptions {
  /** Install root (default `$AEXT_HOME`, else `~/.aext`). */
  root?: string;
  /** Policy (`runtime.allow_no_sandbox`, `runtime.tool_fail_on`, `limits.maxMcpMessageBytes`). */
  policy?: Policy;
  /** Run unconfined (loud; refused when the policy forbids it). */
  noSandbox?: boolean;
  /** Caller's working directory: relative declared paths resolve against it (default `process.cwd()`). */
  workDir?: string;
  /** Caller's environment: declared `permissions.env` variables are taken from it (default `process.env`). */
  callerEnv?: NodeJS.ProcessEnv;
  /** Caller's home for `~` in declared paths (default `os.homedir()`). */
  home?: string;
  /** Diagnostics (stderr in the CLI). */
  onReport?: Reporter;
  /**
   * The user's own arguments, appended after the server's signed `mcp_config.args`
   * (`aext run NAME -- ARGS`: a database URL, a directory to serve). They reach the program
   * as given, inside the same sandbox; they grant nothing the permissions do not.
   */
  extraArgs?: readonly string[];
}

/** An installed extension checked and ready to start. */
export interface Prepared {
  root: string;
  key: string;
  entry: LockEntry;
  manifest: Manifest;
  installDir: string;
  dataDir: string;
  permissions: Permissions;
  /** The package ships native Node addons. */
  nativeAddons: boolean;
  /** Files hashed by the integrity check (the rest matched the verified cache). */
  hashed: number;
  /** Stored user_config values (`ROOT/config/…`), substituted as `${user_config.KEY}`. */
  config: ConfigValues;
}

/** aext's in-sandbox programs (built into dist/runtime by `npm run build`). */
export function sandboxAssets(): { node: string; bridge: string; preload: string; undiciDir: string } {
  const root = packageRoot();
  const dir = path.join(root, 'dist', 'runtime');
  const req = createRequire(path.join(root, 'package.json'));
  let undiciDir = path.join(root, 'node_modules', 'undici');
  try {
    undiciDir = path.dirname(req.resolve('undici/package.json'));
  } catch {
    /* planSandbox binds the default path; the preload reports a missing undici */
  }
  return { node: process.execPath, bridge: path.join(dir, 'bridge.cjs'), preload: path.join(dir, 'preload.cjs'), undiciDir };
}

/**
 * Step 1: finds `name` (`publisher/name`, or a bare unambiguous name) in the
 * lock and checks the installed files against the signed INDEX.
 * @throws AextError E_NOT_INSTALLED, E_USAGE (ambiguous), E_LOCK_INTEGRITY,
 *   E_QUARANTINED, E_ARCHIVE_CHANGED (details.problems), E_IO.
 */
export async function prepareInstalled(name: string, opts: LaunchOptions = {}): Promise<Prepared> {
  const root = resolveRoot(opts.root);
  if (!existsSync(path.join(root, 'aext-lock.json'))) throw new AextError('E_NOT_INSTALLED', `${name} is not installed (no lockfile in ${root})`, { entry: name });
  const lock = await readLock(root);
  const key = resolveKey(lock, name);
  const entry = lock.extensions[key];
  if (!entry) throw new AextError('E_NOT_INSTALLED', `${name} is not installed in ${root}`, { entry: name });
  if (entry.quarantined) throw new AextError('E_QUARANTINED', `${key} was quarantined by aext audit --fix (${entry.quarantined.reason}); it will not be started`, { entry: key });
  const check = await checkInstalled(root, entry, { cache: true });
  if (check.problems.length) {
    const first = check.problems[0]!;
    throw new AextError('E_ARCHIVE_CHANGED', `${key}: ${first.message}${check.problems.length > 1 ? ` (and ${check.problems.length - 1} more)` : ''}; refusing to start it`, { entry: first.entry || key, problems: check.problems });
  }
  const installDir = path.join(root, entry.path);
  // aext.json was schema-validated at install and its bytes were just matched against the signed INDEX
  // kept then, so strict JSON parsing is enough here (no schema compilation on every start).
  let manifest: Manifest;
  try {
    manifest = parseStrictJson(await fsp.readFile(path.join(installDir, 'aext.json'), 'utf8')) as Manifest;
  } catch (e) {
    throw new AextError('E_ARCHIVE_CHANGED', `${key}: installed aext.json does not parse (${(e as Error).message})`, { entry: 'aext.json' });
  }
  if (manifest.publisher !== entry.publisher || manifest.name !== entry.name || manifest.version !== entry.version) {
    throw new AextError('E_ARCHIVE_CHANGED', `${key}: installed aext.json names ${manifest.publisher}/${manifest.name}@${manifest.version}, the lock ${entry.version}`, { entry: 'aext.json' });
  }
  const dataDir = await ensureDataDir(root, entry.publisher, entry.name);
  const config = await readConfig(root, entry.publisher, entry.name);
  return { root, key, entry, manifest, installDir, dataDir, permissions: entry.permissions ?? {}, nativeAddons: check.index!.files.some((f) => f.path.endsWith('.node')), hashed: check.hashed, config };
}

/**
 * Substitutes `${__dirname}` (install dir) and `${__data_dir}` (data dir,
 * CONTRACT §5) in one mcp_config value. A value that used either must
 * normalise to inside that directory (`${__dirname}/../..` is refused).
 * @throws AextError E_MANIFEST_INVALID.
 */
export function substitute(value: string, p: Pick<Prepared, 'installDir' | 'dataDir' | 'key'>): string {
  const out = value.split('${__dirname}').join(p.installDir).split('${__data_dir}').join(p.dataDir);
  for (const [token, dir] of [['${__dirname}', p.installDir], ['${__data_dir}', p.dataDir]] as const) {
    const bad = escapingPaths(value, token);
    if (bad.length) throw new AextError('E_MANIFEST_INVALID', `${p.key}: mcp_config value ${JSON.stringify(value)} points outside ${token} (${path.resolve(dir + bad[0])})`, { entry: 'aext.json' });
  }
  return out;
}

const isElf = (file: string) => {
  const b = readHead(file, 4);
  return b.length === 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
};

/**
 * Finds a program on the caller's PATH: the first absolute entry holding an
 * executable ELF file of that name (wrapper scripts such as version-manager
 * shims are skipped: they need a shell, which `shell: false` does not mount).
 * `node` falls back to the Node running aext.
 */
export function findProgram(name: string, callerPath: string | undefined): string | undefined {
  for (const dir of (callerPath ?? '').split(':')) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const f = path.join(dir, name);
    try {
      accessSync(f, constants.X_OK);
      if (statSync(f).isFile() && isElf(f)) return f;
    } catch {
      /* next */
    }
  }
  return name === 'node' || name === 'nodejs' ? process.execPath : undefined;
}

/**
 * Step 2: the program to start for `command args…` of an installed extension.
 * A path is taken relative to the install dir; a bare name from the caller's
 * PATH; a script with `#!` is run by its interpreter.
 * @throws AextError E_SERVER_START when nothing can be found.
 */
export function resolveLaunch(command: string, args: string[], p: Prepared, callerPath: string | undefined): { program: string; args: string[]; runtime: RuntimeKind } {
  let file: string | undefined;
  if (command.includes('/')) {
    file = path.resolve(p.installDir, command);
    if (!existsSync(file)) throw new AextError('E_SERVER_START', `${p.key}: program ${command} does not exist`, { entry: command });
  } else {
    file = findProgram(command, callerPath);
    if (!file) throw new AextError('E_SERVER_START', `${p.key}: ${command} is not on PATH`, { entry: command });
  }
  const viaShebang = interpreterOf(file, (n) => findProgram(n, callerPath));
  const program = viaShebang.program;
  const base = path.basename(program);
  const runtime: RuntimeKind = /^node(?:js)?$/.test(base) ? 'node' : /^python[\d.]*$/.test(base) ? 'python' : 'binary';
  return { program, args: [...viaShebang.pre, ...args], runtime };
}

/** PATH used to find and run bwrap itself (its environment is visible inside the sandbox, so it carries nothing else). */
const BWRAP_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';
let probed: string | undefined | null = null;
/**
 * Checks once per process that bubblewrap runs and the kernel grants the namespaces.
 * @returns undefined when usable, else why not.
 */
export function sandboxProblem(): string | undefined {
  if (probed !== null) return probed;
  const r = spawnSync('bwrap', ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--ro-bind', '/', '/', '--', '/bin/true'], { encoding: 'utf8', timeout: 10_000, env: { PATH: BWRAP_PATH } });
  if (r.error) probed = (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'bubblewrap (bwrap) is not installed' : `bwrap did not run: ${r.error.message}`;
  else if (r.status !== 0) probed = `bwrap could not create the sandbox: ${(r.stderr || '').trim() || `exit ${r.status}`}`;
  else probed = undefined;
  return probed;
}

/** A started sandboxed (or, with --no-sandbox, unconfined) process. */
export interface Started {
  child: ChildProcess;
  /** The plan (undefined with --no-sandbox). */
  plan?: SandboxPlan;
  /** Egress decisions so far. */
  decisions: NetDecision[];
  /** Stops the egress proxy and removes its socket directory. */
  cleanup(): Promise<void>;
}

/**
 * Step 3: starts `program args` for `p` inside the sandbox.
 * @param extra environment on top of the extension's (e.g. CLAUDE_PLUGIN_ROOT for hooks).
 * @throws AextError E_SANDBOX_UNAVAILABLE, E_SANDBOX_FORBIDDEN, E_ENV_FORBIDDEN, E_SERVER_START.
 */
export async function startSandboxed(
  p: Prepared,
  launch: { program: string; args: string[]; runtime: RuntimeKind },
  fixedEnv: Record<string, string>,
  stdio: StdioOptions,
  opts: LaunchOptions & { cwd?: string; extraEnv?: Record<string, string> },
): Promise<Started> {
  const report = opts.onReport ?? (() => undefined);
  const callerEnv = opts.callerEnv ?? process.env;
  const { env, missing } = extensionEnv(p.permissions, fixedEnv, callerEnv, p.key, p.installDir);
  Object.assign(env, opts.extraEnv ?? {});
  for (const m of missing) report('warn', `${p.key} declares env ${m}, which is not set: it is not passed`);
  const hosts = p.permissions.network?.hosts ?? [];
  if (opts.noSandbox) {
    if (opts.policy?.runtime?.allow_no_sandbox === false) throw new AextError('E_SANDBOX_FORBIDDEN', `${p.key}: the policy forbids --no-sandbox`, { entry: p.key });
    report('warn', `WARNING: --no-sandbox: ${p.key} runs UNCONFINED with your files and network (only its environment is still limited)`);
    const child = spawn(launch.program, launch.args, { stdio, cwd: opts.cwd ?? p.dataDir, env: { PATH: callerEnv.PATH ?? '/usr/bin:/bin', HOME: p.dataDir, TMPDIR: os.tmpdir(), LANG: callerEnv.LANG ?? 'C.UTF-8', ...env } });
    return { child, decisions: [], cleanup: async () => undefined };
  }
  const problem = sandboxProblem();
  if (problem) throw new AextError('E_SANDBOX_UNAVAILABLE', `${p.key}: cannot start the sandbox: ${problem}`, { entry: p.key });
  let proxy: EgressProxy | undefined;
  let socketDir: string | undefined;
  if (hosts.length) {
    socketDir = mkdtempSync(path.join(os.tmpdir(), 'aext-net-'));
    proxy = await startEgressProxy(path.join(socketDir, 'proxy.sock'), hosts, {
      onDecision: (d) => report(d.allow ? 'info' : 'warn', `network ${d.allow ? 'allowed' : 'DENIED'}: ${d.host}:${d.port} (${d.reason})`),
    });
  }
  const cleanup = async () => {
    await proxy?.close().catch(() => undefined);
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
  };
  try {
    const plan = planSandbox({
      root: p.root,
      installDir: p.installDir,
      dataDir: p.dataDir,
      workDir: opts.workDir ?? process.cwd(),
      home: opts.home ?? os.homedir(),
      permissions: p.permissions,
      command: launch.program,
      args: launch.args,
      runtime: launch.runtime,
      env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(socketDir ? { network: { socketDir, port: 3128 } } : {}),
      assets: sandboxAssets(),
      nativeAddons: p.nativeAddons,
    });
    for (const w of plan.warnings) report('warn', `${p.key}: ${w}`);
    // bwrap's own environment is visible inside the sandbox as /proc/1/environ: give it nothing but PATH.
    const child = spawn('bwrap', plan.argv, { stdio, env: { PATH: BWRAP_PATH } });
    return { child, plan, decisions: proxy?.decisions ?? [], cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/**
 * The launch of an installed MCP server from its signed `mcp_config`, with the user's config substituted.
 * @throws AextError E_USAGE (not a server), E_CONFIG_REQUIRED, E_MANIFEST_INVALID (a path escaping its directory).
 */
function serverLaunch(p: Prepared, callerPath: string | undefined, extraArgs: readonly string[] = []): { launch: ReturnType<typeof resolveLaunch>; env: Record<string, string> } {
  if (p.manifest.kind !== 'mcp-server' || !p.manifest.server) throw new AextError('E_USAGE', `${p.key} is a ${p.manifest.kind}, not an mcp-server (use aext exec for hooks and scripts)`, { entry: p.key });
  const c = p.manifest.server.mcp_config;
  // user_config first, so a path check below sees the final value (`${__dirname}/${user_config.sub}`).
  const u = (v: string) => substituteConfig(v, p.manifest, p.config, p.key);
  const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, substitute(u(v), p)]));
  const args = [...substituteArgs(c.args ?? [], p.manifest, p.config, p.key).map((a) => substitute(a, p)), ...extraArgs];
  return { launch: resolveLaunch(substitute(u(c.command), p), args, p, callerPath), env };
}

/**
 * Saves a pinned surface into the lock entry (under the root lock), unless
 * the extension was reinstalled or removed meanwhile.
 * @throws AextError E_ROOT_LOCKED, E_LOCK_INTEGRITY, E_IO; Error when the entry changed.
 */
export async function savePin(root: string, key: string, installId: string, surface: Surface): Promise<void> {
  await withRoot(root, async () => {
    const lock = await readLock(root);
    const e = lock.extensions[key];
    if (!e || e.install_id !== installId) throw new Error(`${key} was reinstalled or removed; the pin was not saved`);
    const { integrity: _i, ...rest } = e;
    const next = { ...rest, surface };
    lock.extensions[key] = { ...next, integrity: entryIntegrity(next) };
    await writeLock(root, lock);
  });
}

/**
 * The sandbox `aext run` would start, without starting anything (`aext run --print-sandbox`):
 * for review, and for golden tests. The egress socket directory is shown as a placeholder.
 * @throws AextError the codes of {@link prepareInstalled} and of the launch checks.
 */
export async function describeRun(name: string, opts: LaunchOptions = {}): Promise<{ key: string; plan: SandboxPlan; program: string; args: string[] }> {
  const p = await prepareInstalled(name, opts);
  const callerEnv = opts.callerEnv ?? process.env;
  const { launch, env: fixed } = serverLaunch(p, callerEnv.PATH, opts.extraArgs);
  const { env } = extensionEnv(p.permissions, fixed, callerEnv, p.key, p.installDir);
  const hosts = p.permissions.network?.hosts ?? [];
  const plan = planSandbox({
    root: p.root, installDir: p.installDir, dataDir: p.dataDir, workDir: opts.workDir ?? process.cwd(), home: opts.home ?? os.homedir(),
    permissions: p.permissions, command: launch.program, args: launch.args, runtime: launch.runtime, env,
    ...(hosts.length ? { network: { socketDir: '<private egress socket directory>', port: 3128 } } : {}),
    assets: sandboxAssets(), nativeAddons: p.nativeAddons,
  });
  // Sensitive user_config values are the user's secrets: shown as their token.
  const secrets = Object.entries(p.manifest.user_config ?? {}).filter(([k, o]) => o.sensitive && typeof p.config[k] === 'string' && p.config[k] !== '').map(([k]) => [String(p.config[k]), `<user_config.${k}>`] as const);
  const hide = (s: string) => secrets.reduce((acc, [v, tok]) => acc.split(v).join(tok), s);
  for (const k of Object.keys(plan.env)) plan.env[k] = hide(plan.env[k]!);
  plan.argv = plan.argv.map(hide);
  // Declared variable values are the caller's secrets: show names only.
  for (const k of p.permissions.env ?? []) if (k in plan.env) plan.env[k] = '<from the caller>';
  plan.argv = plan.argv.map((a, i) => (plan.argv[i - 2] === '--setenv' && (p.permissions.env ?? []).includes(plan.argv[i - 1]!) ? '<from the caller>' : a));
  return { key: p.key, plan, program: launch.program, args: launch.args.map(hide) };
}

/** Options of {@link run}. */
export interface RunOptions extends LaunchOptions {
  /** The MCP client side: what it writes to us and where we write to it. */
  input: Readable;
  output: Writable;
  /** Where the server's stderr goes (default: discarded). */
  errput?: Writable;
  /** Aborting stops the server the MCP way (stdin closed, SIGTERM, SIGKILL) and ends the run (the CLI aborts on SIGTERM/SIGINT/SIGHUP). */
  signal?: AbortSignal;
}

/** Result of {@link run}. */
export interface RunResult {
  /**
   * Exit status of the server (signal → 128 + n). 0 when the client closed the session and
   * aext itself had to stop the server (SIGTERM or SIGKILL after its stdin closed: the MCP
   * stdio shutdown), since that status says nothing about the server's work.
   */
  exitCode: number;
  end: ProxyEnd;
  /** Set when aext had to signal the server to stop it (after the client closed or the proxy ended). */
  stopped?: 'sigterm' | 'sigkill';
}

const toExit = (code: number | null, sig: NodeJS.Signals | null) => code ?? (sig ? 128 + (os.constants.signals[sig] ?? 15) : 1);

/** Human text for a proxy event (diagnostics on stderr). */
export function describeEvent(key: string, e: ProxyEvent): string {
  switch (e.type) {
    case 'hidden':
      return `${key}: ${e.kind} ${JSON.stringify(e.key)} HIDDEN: ${e.reason === 'blocked' ? 'its description has blocking scan findings' : e.reason === 'invalid' ? 'malformed item' : `${e.reason} since it was pinned`} (run: aext approve ${key})`;
    case 'pinned':
      return `${key}: pinned ${e.count} ${e.kind}${e.blocked.length ? `; BLOCKED by the scanner: ${e.blocked.join(', ')}` : ''}`;
    case 'refused':
      return `${key}: refused ${e.method} ${JSON.stringify(e.key)}: ${e.reason}`;
    case 'redacted':
      return `${key}: redacted ${e.count} secret(s) in a server message (${e.kinds.join(', ')})`;
    case 'dropped':
      return `${key}: dropped a server message: ${e.why}`;
    case 'pin-error':
      return `${key}: the pin could not be saved: ${e.message}`;
  }
}

/**
 * `aext run`: the stdio launcher of an installed MCP server.
 * @returns the server's exit status and why the session ended.
 * @throws AextError every code of {@link prepareInstalled} and {@link startSandboxed};
 *   E_MCP_PROTOCOL when either side broke the transport (the server is killed first).
 */
export async function run(name: string, opts: RunOptions): Promise<RunResult> {
  const p = await prepareInstalled(name, opts);
  const report = opts.onReport ?? (() => undefined);
  const { launch, env } = serverLaunch(p, (opts.callerEnv ?? process.env).PATH, opts.extraArgs);
  const s = await startSandboxed(p, launch, env, ['pipe', 'pipe', 'pipe'], opts);
  const { child } = s;
  if (opts.errput) child.stderr!.pipe(opts.errput, { end: false });
  else child.stderr!.resume();
  child.stdin!.on('error', () => undefined);
  opts.output.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (c, sig) => resolve(toExit(c, sig)));
    child.once('error', (e) => {
      report('warn', `${p.key}: ${e.message}`);
      resolve(127);
    });
  });
  const limits = resolveLimits(opts.policy?.limits);
  const failOn: Severity = opts.policy?.runtime?.tool_fail_on ?? opts.policy?.scan?.fail_on ?? 'high';
  const proxy = startMcpProxy({
    clientIn: opts.input,
    clientOut: opts.output,
    serverIn: child.stdin!,
    serverOut: child.stdout!,
    surface: p.entry.surface,
    failOn,
    maxLineBytes: limits.maxMcpMessageBytes,
    onPin: (surface) => savePin(p.root, p.key, p.entry.install_id, surface),
    onEvent: (e) => report(e.type === 'pinned' ? 'info' : 'warn', describeEvent(p.key, e)),
    hint: `review with: aext approve ${p.key}`,
  });
  const aborted = new Promise<ProxyEnd>((resolve) => {
    if (opts.signal?.aborted) resolve({ reason: 'client-closed' });
    opts.signal?.addEventListener('abort', () => resolve({ reason: 'client-closed' }), { once: true });
  });
  const first = await Promise.race([proxy.done, aborted, exited.then((code) => ({ reason: 'server-closed' as const, code }))]);
  let end: ProxyEnd = 'code' in first ? { reason: 'server-closed' } : first;
  let stopped: RunResult['stopped'];
  if (end.reason === 'violation') child.kill('SIGKILL');
  else {
    const how = await stopChild(child);
    if (how !== 'exited') {
      stopped = how;
      report(how === 'sigkill' ? 'warn' : 'info', `${p.key}: the server did not exit after its input closed; stopped with ${how === 'sigkill' ? 'SIGKILL (it ignored SIGTERM)' : 'SIGTERM'}`);
    }
  }
  let exitCode = await exited;
  if (stopped && end.reason === 'client-closed') exitCode = 0;
  // Let the proxy finish the server's last lines (and a pin save) before the caller's output closes.
  await Promise.race([proxy.drained, new Promise((r) => setTimeout(r, 5000).unref())]);
  await s.cleanup();
  if (end.reason === 'violation') throw new AextError('E_MCP_PROTOCOL', `${p.key}: session ended: ${end.message}`, { entry: p.key });
  if (end.reason === 'server-closed') end = { reason: 'server-closed' };
  return stopped ? { exitCode, end, stopped } : { exitCode, end };
}

/** Options of {@link exec}. */
export interface ExecOptions extends LaunchOptions {
  /** Run `command` as one shell command line (`/bin/sh -c`): needs `permissions.shell`. */
  shell?: boolean;
  /** stdio of the command (default inherit). */
  stdio?: StdioOptions;
}

/**
 * `aext exec`: runs a hook command or skill script of an installed extension
 * in the same sandbox, with the caller's working directory as its working
 * directory (empty unless declared paths fill it) and `CLAUDE_PLUGIN_ROOT` =
 * the install directory.
 * @param argv COMMAND ARGS… (with `shell`, one command line).
 * @returns the command's exit status.
 * @throws AextError E_PERMISSION_NOT_GRANTED (a shell or system program without `shell`),
 *   plus the codes of {@link prepareInstalled} and {@link startSandboxed}.
 */
export async function exec(name: string, argv: string[], opts: ExecOptions = {}): Promise<number> {
  if (argv.length === 0) throw new AextError('E_USAGE', 'aext exec needs a command after --');
  const p = await prepareInstalled(name, opts);
  const callerPath = (opts.callerEnv ?? process.env).PATH;
  const shellGranted = p.permissions.shell === true;
  let launch: ReturnType<typeof resolveLaunch>;
  if (opts.shell) {
    if (!shellGranted) throw new AextError('E_PERMISSION_NOT_GRANTED', `${p.key} is not granted shell: its command line cannot run`, { entry: argv.join(' ') });
    // A host that substituted ${CLAUDE_PLUGIN_ROOT} with its own copy of the plugin: that copy is not in the
    // sandbox, so the path is mapped to the verified install it was made from.
    let line = argv.join(' ');
    const hostRoot = (opts.callerEnv ?? process.env).CLAUDE_PLUGIN_ROOT;
    if (hostRoot && path.isAbsolute(hostRoot) && hostRoot !== p.installDir) line = line.split(hostRoot).join(p.installDir);
    launch = { program: '/bin/sh', args: ['-c', line], runtime: 'binary' };
  } else {
    const cmd = argv[0]!;
    const inInstall = cmd.includes('/') || existsSync(path.join(p.installDir, cmd));
    launch = resolveLaunch(inInstall ? path.resolve(p.installDir, cmd) : cmd, argv.slice(1), p, callerPath);
    const file = path.resolve(p.installDir, cmd);
    if (inInstall && !(file === p.installDir || file.startsWith(p.installDir + path.sep))) throw new AextError('E_PERMISSION_NOT_GRANTED', `${cmd} is outside ${p.key}'s install directory`, { entry: cmd });
    if (!inInstall && !shellGranted && launch.runtime === 'binary') {
      throw new AextError('E_PERMISSION_NOT_GRANTED', `${p.key} is not granted shell: only its own files and its interpreter (node, python) may run, not ${cmd}`, { entry: cmd });
    }
  }
  const workDir = opts.workDir ?? process.cwd();
  const s = await startSandboxed(p, launch, {}, opts.stdio ?? 'inherit', { ...opts, workDir, cwd: workDir, extraEnv: { CLAUDE_PLUGIN_ROOT: p.installDir, ...((opts.callerEnv ?? process.env).CLAUDE_PROJECT_DIR ? { CLAUDE_PROJECT_DIR: (opts.callerEnv ?? process.env).CLAUDE_PROJECT_DIR! } : {}) } });
  const code = await new Promise<number>((resolve) => {
    s.child.once('exit', (c, sig) => resolve(toExit(c, sig)));
    s.child.once('error', () => resolve(127));
  });
  await s.cleanup();
  return code;
}

/** Result of {@link approve}. */
export interface ApproveResult {
  key: string;
  diff: SurfaceDiff;
  /** Items whose descriptions have blocking findings (stay hidden). */
  blocked: Array<{ kind: string; key: string; rules: string[] }>;
  /** True when the new surface was saved. */
  approved: boolean;
  surface: Surface;
}

/**
 * `aext approve`: starts the server in the sandbox, lists its surface, shows
 * how it differs from the pin and, when confirmed, pins it.
 * @param o.yes approve without asking; `o.confirm` asks (TTY); neither = show only.
 * @throws AextError E_SERVER_START, plus the codes of {@link prepareInstalled} and {@link startSandboxed}.
 */
export async function approve(name: string, o: LaunchOptions & { yes?: boolean; confirm?: (r: Omit<ApproveResult, 'approved'>) => Promise<boolean>; source?: Surface['source']; timeoutMs?: number } = {}): Promise<ApproveResult> {
  const p = await prepareInstalled(name, o);
  const { launch, env } = serverLaunch(p, (o.callerEnv ?? process.env).PATH, o.extraArgs);
  const s = await startSandboxed(p, launch, env, ['pipe', 'pipe', 'pipe'], o);
  let listed;
  try {
    listed = await listSurface(s.child, o.timeoutMs ?? 30_000, p.key);
  } finally {
    await stopChild(s.child).catch(() => undefined);
    await s.cleanup();
  }
  const failOn: Severity = o.policy?.runtime?.tool_fail_on ?? o.policy?.scan?.fail_on ?? 'high';
  const live = emptySurface(o.source ?? 'approve');
  live.kinds = [...SURFACE_KINDS];
  const blocked: ApproveResult['blocked'] = [];
  for (const kind of SURFACE_KINDS) {
    for (const item of listed.lists[kind]) {
      const key = itemKey(kind, item);
      if (!key) continue;
      const { pin } = pinItem(kind, key, item, failOn);
      live.items[kind][key] = pin;
      if (pin.blocked) blocked.push({ kind, key, rules: pin.blocked });
    }
  }
  const diff = diffSurface(p.entry.surface, live);
  const base = { key: p.key, diff, blocked, surface: live };
  const ok = o.yes === true || (o.confirm ? await o.confirm(base) : false);
  if (ok) await savePin(p.root, p.key, p.entry.install_id, live);
  return { ...base, approved: ok };
}
