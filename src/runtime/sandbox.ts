/**
 * The sandbox plan: from an installed extension's granted `permissions` to a
 * bubblewrap (bwrap ≥ 0.8) command line. Deny by default; each line below is
 * the only grant (../shared/research/runtime-frontier.md §1.5, following the
 * Linux design of Anthropic's sandbox runtime):
 *
 * - namespaces: user, mount, PID, IPC, UTS, cgroup and network are all new
 *   (`--unshare-all --unshare-user`), nested user namespaces are refused
 *   (`--disable-userns`), no capabilities, no new privileges (bwrap sets
 *   PR_SET_NO_NEW_PRIVS), a new session (no TIOCSTI into the caller's
 *   terminal, CVE-2017-5226), and the sandbox dies with its parent;
 * - file system: an empty root; the runtime read-only (`/usr/lib` and the
 *   interpreter's own prefix, or all of `/usr` with `shell`); a few `/etc`
 *   files that name no secret; private `/tmp`, `/proc`, `/dev`; each
 *   declared `filesystem.read` path read-only and `filesystem.write` path
 *   read-write; the install directory read-only; the data directory
 *   read-write (also HOME and the default working directory); the aext root
 *   itself masked when a declared path contains it;
 * - network: none (the namespace has only its own loopback) unless hosts are
 *   declared; then a bridge inside forwards 127.0.0.1:PORT to the host-side
 *   egress proxy's Unix socket, which admits only the declared hosts;
 * - environment: cleared; only PATH, HOME, TMPDIR, locale, the proxy and CA
 *   variables, and what the caller passes in `env` (declared variables);
 * - `shell: false`: no shell and no other program is mounted (only the
 *   interpreter itself, resolved on the host), and Node servers also run
 *   under Node's permission model without child processes or native addons
 *   unless the package ships `.node` files (defence in depth, not the boundary).
 *
 * Pure except for `existsSync`/`realpathSync` on the host paths it plans.
 */
import { closeSync, existsSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Permissions } from '../types.js';

/** How the sandboxed program is started. */
export type RuntimeKind = 'node' | 'python' | 'binary';

/** Inputs of {@link planSandbox}; every path absolute on the host. */
export interface SandboxInput {
  /** The aext root (masked inside the sandbox). */
  root: string;
  installDir: string;
  dataDir: string;
  /** Caller's working directory: relative declared paths resolve against it. */
  workDir: string;
  /** Caller's home: `~` in declared paths. */
  home: string;
  permissions: Permissions;
  /** Program and arguments, the program already resolved to an absolute host path. */
  command: string;
  args: string[];
  runtime: RuntimeKind;
  /** Extension environment (declared variables and mcp_config env), already checked. */
  env: Record<string, string>;
  /** Working directory inside the sandbox (default the data directory). */
  cwd?: string;
  /** Egress: the private directory holding the proxy socket, and the bridge port inside. */
  network?: { socketDir: string; port: number };
  /** aext's own in-sandbox programs. */
  assets: { node: string; bridge: string; preload: string; undiciDir: string };
  /** The package ships native addons (`.node`): Node's permission model must allow them. */
  nativeAddons?: boolean;
}

/** A planned mount, for review (`--print-sandbox`) and tests. */
export interface PlannedMount {
  kind: 'ro' | 'rw' | 'tmpfs' | 'dir' | 'symlink' | 'proc' | 'dev';
  /** Source on the host (bind mounts, symlink target). */
  src?: string;
  dest: string;
  /** Why it is there. */
  why: string;
}

/** What {@link planSandbox} returns. */
export interface SandboxPlan {
  /** bwrap arguments (the program is `bwrap`). */
  argv: string[];
  mounts: PlannedMount[];
  /** Environment inside the sandbox. */
  env: Record<string, string>;
  /** Declared paths that were not granted, with why. */
  warnings: string[];
}

/** Where the proxy socket directory appears inside the sandbox. */
export const SANDBOX_SOCKET_DIR = '/run/aext';
/** Etc files every program may read: none holds a secret (no shadow, no ssh, no sudoers). */
const ETC_FILES = ['/etc/passwd', '/etc/group', '/etc/hosts', '/etc/nsswitch.conf', '/etc/localtime', '/etc/ssl', '/etc/ca-certificates', '/etc/mime.types'];
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');

/**
 * Resolves a declared `filesystem` path on the host: `~` and `~/…` against
 * `home`, `${__dirname}` and `${__data_dir}`, relative paths against `workDir`.
 * @returns the normalised absolute path (symlinks not followed).
 */
export function resolveDeclaredPath(p: string, i: Pick<SandboxInput, 'home' | 'workDir' | 'installDir' | 'dataDir'>): string {
  let s = p.split('${__dirname}').join(i.installDir).split('${__data_dir}').join(i.dataDir);
  if (s === '~') s = i.home;
  else if (s.startsWith('~/')) s = path.join(i.home, s.slice(2));
  return path.resolve(i.workDir, s);
}

/** The top of the runtime tree a program needs: nothing for /usr, else its installation prefix (`<prefix>/bin/x` → `<prefix>`). */
function runtimePrefix(real: string): string | undefined {
  if (inside(real, '/usr') || inside(real, '/bin') || inside(real, '/lib')) return undefined;
  const dir = path.dirname(real);
  return path.basename(dir) === 'bin' ? path.dirname(dir) : dir;
}

/**
 * Plans the sandbox.
 * @returns bwrap argv, mounts, environment and warnings; it does not start anything.
 */
export function planSandbox(i: SandboxInput): SandboxPlan {
  const mounts: PlannedMount[] = [];
  const warnings: string[] = [];
  const shell = i.permissions.shell === true;
  const add = (m: PlannedMount) => {
    if (!mounts.some((x) => x.kind === m.kind && x.src === m.src && x.dest === m.dest)) mounts.push(m);
  };
  const hostHas = (p: string) => existsSync(p);
  const isLink = (p: string) => {
    try {
      return lstatSync(p).isSymbolicLink();
    } catch {
      return false;
    }
  };

  // 1. The runtime, read-only.
  if (shell) {
    add({ kind: 'ro', src: '/usr', dest: '/usr', why: 'shell: the system programs' });
    if (hostHas('/etc/alternatives')) add({ kind: 'ro', src: '/etc/alternatives', dest: '/etc/alternatives', why: 'shell: program alternatives' });
  } else {
    add({ kind: 'ro', src: '/usr/lib', dest: '/usr/lib', why: 'system libraries' });
    if (hostHas('/usr/lib64')) add({ kind: 'ro', src: '/usr/lib64', dest: '/usr/lib64', why: 'system libraries' });
    if (hostHas('/usr/share/ca-certificates')) add({ kind: 'ro', src: '/usr/share/ca-certificates', dest: '/usr/share/ca-certificates', why: 'TLS roots' });
    if (hostHas('/usr/share/zoneinfo')) add({ kind: 'ro', src: '/usr/share/zoneinfo', dest: '/usr/share/zoneinfo', why: 'time zones' });
  }
  for (const d of ['/lib', '/lib64', '/bin', '/sbin']) {
    if (!hostHas(d)) continue;
    if (isLink(d)) {
      if (shell || d === '/lib' || d === '/lib64') add({ kind: 'symlink', src: readlinkOrEmpty(d), dest: d, why: 'merged /usr' });
    } else if (shell || d === '/lib' || d === '/lib64') add({ kind: 'ro', src: d, dest: d, why: 'system libraries' });
  }
  for (const f of ETC_FILES) if (hostHas(f)) add({ kind: 'ro', src: f, dest: f, why: 'system configuration without secrets' });
  const programs = new Set<string>();
  const bindProgram = (p: string, why: string) => {
    const real = realpathSync(p);
    const prefix = runtimePrefix(real);
    if (prefix && !inside(real, i.installDir)) add({ kind: 'ro', src: prefix, dest: prefix, why: `${why}: its installation` });
    if (!shell && !inside(real, '/usr/lib') && !inside(real, i.installDir)) add({ kind: 'ro', src: real, dest: real, why });
    if (real !== p && !inside(p, i.installDir) && !shell) add({ kind: 'ro', src: real, dest: p, why: `${why} (as named)` });
    programs.add(path.dirname(p));
  };
  bindProgram(i.command, 'the program');
  if (i.network || i.runtime === 'node') bindProgram(i.assets.node, 'node');

  // 2. Private kernel file systems and /tmp.
  add({ kind: 'proc', dest: '/proc', why: 'own PID namespace' });
  add({ kind: 'dev', dest: '/dev', why: 'minimal devices (null, zero, random, tty)' });
  add({ kind: 'tmpfs', dest: '/tmp', why: 'private /tmp' });
  const cwd = i.cwd ?? i.dataDir;
  if (cwd !== i.dataDir) add({ kind: 'dir', dest: cwd, why: 'working directory (empty unless a declared path fills it)' });

  // 3. Declared paths.
  let maskRoot = false;
  const declared = (list: readonly string[] | undefined, kind: 'ro' | 'rw') => {
    for (const p of list ?? []) {
      const abs = resolveDeclaredPath(p, i);
      if (abs === '/') {
        warnings.push(`${p}: the whole file system is never granted`);
        continue;
      }
      // `~`, or a relative path that lands on the home directory (a host started aext in $HOME), would
      // hand over every secret the user has: never granted whole (research: reject `/` and `~` alone).
      if (abs === path.resolve(i.home) || inside(path.resolve(i.home), abs)) {
        warnings.push(`${p}: resolves to ${abs}, which holds your whole home directory: not granted (declare the folders it needs)`);
        continue;
      }
      if (inside(abs, i.root)) {
        if (!inside(abs, i.dataDir)) warnings.push(`${p}: inside the aext root ${i.root}, not granted`);
        continue;
      }
      if (!hostHas(abs)) {
        warnings.push(`${p}: ${abs} does not exist, not granted (create it to grant access)`);
        continue;
      }
      if (inside(i.root, abs)) maskRoot = true;
      add({ kind, src: realpathSync(abs), dest: abs, why: `declared filesystem.${kind === 'ro' ? 'read' : 'write'} ${p}` });
    }
  };
  declared(i.permissions.filesystem?.read, 'ro');
  declared(i.permissions.filesystem?.write, 'rw');
  if (maskRoot) add({ kind: 'tmpfs', dest: i.root, why: 'the aext root is never visible (a declared path contains it)' });

  // 4. The extension itself, and aext's in-sandbox programs.
  add({ kind: 'ro', src: i.installDir, dest: i.installDir, why: 'install directory (signed files)' });
  add({ kind: 'rw', src: i.dataDir, dest: i.dataDir, why: 'data directory (HOME)' });
  if (i.network) {
    add({ kind: 'ro', src: i.assets.bridge, dest: i.assets.bridge, why: 'aext network bridge' });
    add({ kind: 'rw', src: i.network.socketDir, dest: SANDBOX_SOCKET_DIR, why: 'egress proxy socket' });
    if (i.runtime === 'node') {
      add({ kind: 'ro', src: i.assets.preload, dest: i.assets.preload, why: 'aext proxy preload for fetch/https' });
      add({ kind: 'ro', src: i.assets.undiciDir, dest: i.assets.undiciDir, why: 'undici (EnvHttpProxyAgent)' });
    }
  }

  // 5. Environment.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.env)) env[k] = v;
  env.PATH = shell ? ['/usr/local/bin', '/usr/bin', '/bin', ...programs].filter((d, n, a) => a.indexOf(d) === n).join(':') : [...programs].join(':');
  env.HOME = i.dataDir;
  env.TMPDIR = '/tmp';
  env.LANG ??= 'C.UTF-8';
  if (i.network) {
    const proxy = `http://127.0.0.1:${i.network.port}`;
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) env[k] = proxy;
    env.NO_PROXY = '';
    env.no_proxy = '';
    if (hostHas(CA_BUNDLE)) {
      env.NODE_EXTRA_CA_CERTS = CA_BUNDLE;
      env.SSL_CERT_FILE = CA_BUNDLE;
      env.REQUESTS_CA_BUNDLE = CA_BUNDLE;
    }
  }
  if (i.runtime === 'node') {
    const opts: string[] = [];
    if (!shell) {
      opts.push('--experimental-permission', '--allow-fs-read=*', '--allow-fs-write=*', '--allow-worker', '--disable-warning=ExperimentalWarning', '--disable-warning=SecurityWarning');
      if (i.nativeAddons) opts.push('--allow-addons');
    }
    if (i.network) opts.push('--require', i.assets.preload);
    if (opts.length) env[i.network ? 'AEXT_CHILD_NODE_OPTIONS' : 'NODE_OPTIONS'] = opts.join(' ');
  }

  // 6. The command line.
  const argv = ['--die-with-parent', '--new-session', '--unshare-all', '--unshare-user', '--disable-userns', '--cap-drop', 'ALL', '--hostname', 'aext-sandbox', '--clearenv'];
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) argv.push('--setenv', k, v);
  for (const m of mounts) {
    if (m.kind === 'ro') argv.push('--ro-bind', m.src!, m.dest);
    else if (m.kind === 'rw') argv.push('--bind', m.src!, m.dest);
    else if (m.kind === 'tmpfs') argv.push('--tmpfs', m.dest);
    else if (m.kind === 'dir') argv.push('--dir', m.dest);
    else if (m.kind === 'symlink') argv.push('--symlink', m.src!, m.dest);
    else if (m.kind === 'proc') argv.push('--proc', m.dest);
    else argv.push('--dev', m.dest);
  }
  argv.push('--chdir', cwd, '--');
  if (i.network) argv.push(i.assets.node, i.assets.bridge, `${SANDBOX_SOCKET_DIR}/proxy.sock`, String(i.network.port), '--');
  argv.push(i.command, ...i.args);
  return { argv, mounts, env, warnings };
}

function readlinkOrEmpty(p: string): string {
  try {
    return path.relative('/', realpathSync(p));
  } catch {
    return '';
  }
}

/**
 * How a host program is started under `shell: false`, where no `/usr/bin/env`
 * or shell exists: a script with a `#!` line is run by its interpreter
 * (`#!/usr/bin/env node` → the node binary), resolved on the host.
 * @param file absolute path of the program. @param lookup finds a program on the host PATH.
 * @returns the program to exec and arguments to put before the file's own (empty when `file` is itself a binary).
 */
export function interpreterOf(file: string, lookup: (name: string) => string | undefined): { program: string; pre: string[] } {
  const head = readHead(file, 256);
  if (head[0] !== 0x23 || head[1] !== 0x21) return { program: file, pre: [] };
  const line = head.toString('utf8').slice(2).split('\n')[0]!.trim();
  const parts = line.split(/\s+/).filter(Boolean);
  let prog = parts[0] ?? '';
  let rest = parts.slice(1);
  if (path.basename(prog) === 'env') {
    rest = rest.filter((a) => a !== '-S');
    prog = rest.shift() ?? '';
  }
  const resolved = prog.includes('/') ? (existsSync(prog) ? prog : lookup(path.basename(prog))) : lookup(prog);
  if (!resolved) return { program: file, pre: [] };
  return { program: resolved, pre: [...rest, file] };
}

/** The first `n` bytes of a file (fewer when it is shorter; empty when it cannot be read). Programs can be large: never read whole. */
export function readHead(file: string, n: number): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
