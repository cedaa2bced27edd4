/**
 * aext library API (CONTRACT §1): `import { pack, verify, install, scan, check } from 'aext-cli'`,
 * and the one module the CLI imports (held by architecture.test.ts).
 *
 * Importing it loads only the light leaves (errors, limits, types, version, policy, baseline,
 * terminal text, host names). Each verb is a thin async function that loads its module on first
 * call, so `aext validate` never compiles the scanner or the runtime and `aext --version` loads
 * nothing (issue 12, start-up). The verbs keep their signatures; a function that was synchronous
 * in its own module and is heavy to load (`toSarif`, `rootsFromPolicy`, `createRotation`, `createRevocationList`, `listRules`, `resolveRoot`, `planSandbox`) is offered
 * here as async. Every function reports failures as {@link AextError} with a stable code.
 */
export { AextError, ERROR_CODES, EXIT, isAextError, toAextError, type ErrorCode, type ExitCode } from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.js';
export { SEVERITIES } from './types.js';
export type { Finding, Manifest, Permissions, Severity, Verdict, Reporter, UserConfigOption } from './types.js';
export { VERSION } from './version.js';
export { loadPolicy, parsePolicy, evaluatePolicy, describePermissions, DEFAULT_POLICY, type Policy } from './policy/policy.js';
export { baselineFor, parseBaseline, type Baseline } from './scan/baseline.js';
export { safeText, safeLine } from './util/terminal.js';
export { CLIENTS, type ClientName, type Scope } from './hosts/clients.js';

export type { PackOptions, PackResult } from './pack.js';
export type { VerifyResult, InspectResult, SignResult } from './verify.js';
export type { InstallOptions, InstallResult } from './install.js';
export type { VetOptions, Vetted } from './pipeline/vet.js';
export type { CheckFileResult, ValidateResult } from './check.js';
export type { InitOptions, InitResult } from './init.js';
export type { KeygenResult, PrivateKey, PublicKey } from './inputs/key-files.js';
export type { AuditResult } from './audit.js';
export type { McpTool } from './runtime/handshake.js';
export type { RunOptions, RunResult, ExecOptions, ApproveResult, LaunchOptions } from './runtime/launch.js';
export type { SandboxPlan, SandboxInput } from './runtime/sandbox.js';
export type { Surface, SurfaceDiff } from './runtime/surface.js';
export type { Connection, ConnectOptions } from './connect.js';
export type { ConfigureResult } from './config.js';
export type { ListedSurface } from './runtime/mcp-client.js';
export type { Rule } from './scan/engine/match.js';

/** `fn` with the same parameters, returning a promise of its (awaited) result. */
type Async<F> = F extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;

/**
 * Binds export `name` of a module loaded on first call (ESM caches it; later calls cost one
 * property read). @param load the module's dynamic import. @returns an async function with the
 * export's parameters. Errors are the export's own (by code), unchanged.
 */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): Async<M[K]> {
  return (async (...a: unknown[]) => ((await load())[name] as (...x: unknown[]) => unknown)(...a)) as Async<M[K]>;
}

const packM = () => import('./pack.js');
const verifyM = () => import('./verify.js');
const installM = () => import('./install.js');
const checkM = () => import('./check.js');
const launchM = () => import('./runtime/launch.js');
const keysM = () => import('./inputs/key-files.js');
const trustM = () => import('./trust/trust-store.js');
const revM = () => import('./trust/revocations.js');
const connectM = () => import('./connect.js');

/** Validates, scans and writes a signed `.aext` (see `pack.ts`). */
export const pack = lazy(packM, 'pack');
/** Integrity and signatures of an archive (see `verify.ts`). */
export const verify = lazy(verifyM, 'verify');
/** Manifest, permissions, signers and files of an archive; no trust decision (see `verify.ts`). */
export const inspect = lazy(verifyM, 'inspect');
/** Adds a signature to an archive (see `verify.ts`). */
export const sign = lazy(verifyM, 'sign');
/** Verifies, vets and atomically installs an archive (see `install.ts`). */
export const install = lazy(installM, 'install');
/** Installed extensions from the lockfile (see `install.ts`). */
export const list = lazy(installM, 'list');
/** Removes an installed extension, keeping its data unless `purge` (see `install.ts`). */
export const uninstall = lazy(installM, 'uninstall');
/** The vetting checklist into a staging directory (see `pipeline/vet.ts`). */
export const vet = lazy(() => import('./pipeline/vet.js'), 'vet');
/** Registry-side checks of archives, one verdict each (see `check.ts`). */
export const check = lazy(checkM, 'check');
/** Heuristic scan of a folder, file or archive (see `check.ts`). */
export const scan = lazy(checkM, 'scan');
/** Manifest, frontmatter and layout checks (see `validate.ts`). */
export const validate = lazy(() => import('./validate.js'), 'validate');
/** Derives or scaffolds `aext.json` (see `init.ts`). */
export const init = lazy(() => import('./init.js'), 'init');
/** Writes an Ed25519 key pair (see `inputs/key-files.ts`). */
export const keygen = lazy(keysM, 'keygen');
/** Reads a PKCS#8 private key file (see `inputs/key-files.ts`). */
export const loadPrivateKey = lazy(keysM, 'loadPrivateKey');
/** Reads an SPKI public key file (see `inputs/key-files.ts`). */
export const loadPublicKey = lazy(keysM, 'loadPublicKey');
/** Reads an operator baseline file (see `inputs/baseline-file.ts`). */
export const loadBaseline = lazy(() => import('./inputs/baseline-file.js'), 'loadBaseline');
/** SARIF 2.1.0 log of findings (see `scan/sarif.ts`); async here because it loads the rule catalogue. */
export const toSarif = lazy(() => import('./scan/sarif.js'), 'toSarif');
/** The scanner's rule catalogue (`RULES` of `scan/index.ts`). */
export const listRules = lazy(() => import('./scan/index.js'), 'listRules');
/** Lock integrity, on-disk files against the signed INDEX, revocations (see `audit.ts`). */
export const audit = lazy(() => import('./audit.js'), 'audit');
/** Adds a key to the trust store (see `trust/trust-store.ts`). */
export const trustAdd = lazy(trustM, 'trustAdd');
/** Lists the trust store (see `trust/trust-store.ts`). */
export const trustList = lazy(trustM, 'trustList');
/** Removes a key from the trust store (see `trust/trust-store.ts`). */
export const trustRemove = lazy(trustM, 'trustRemove');
/** Stores a verified key rotation (see `trust/trust-store.ts`). */
export const trustAddRotation = lazy(trustM, 'trustAddRotation');
/** Verifies and stores a signed revocation list (see `trust/revocations.ts`). */
export const updateRevocations = lazy(revM, 'updateRevocations');
/** Signs a revocation list (see `trust/revocations.ts`). */
export const createRevocationList = lazy(revM, 'createRevocationList');
/** The revocation roots a policy names (see `trust/revocations.ts`). */
export const rootsFromPolicy = lazy(revM, 'rootsFromPolicy');
/** ROOT from an option, `AEXT_ROOT` or the default (see `store/root.ts`); async here. */
export const resolveRoot = lazy(() => import('./store/root.js'), 'resolveRoot');
/** The bubblewrap plan for a set of permissions (see `runtime/sandbox.ts`); async here. */
export const planSandbox = lazy(() => import('./runtime/sandbox.js'), 'planSandbox');
/** Signs a key rotation statement (see `trust/rotation.ts`). */
export const createRotation = lazy(() => import('./trust/rotation.js'), 'createRotation');
/** The resolved `mcp_config` of an installed tree (see `runtime/handshake.ts`). */
export const resolveMcpConfig = lazy(() => import('./runtime/handshake.js'), 'resolveMcpConfig');
/** Starts a server and runs initialize + tools/list (see `runtime/handshake.ts`). */
export const mcpHandshake = lazy(() => import('./runtime/handshake.js'), 'mcpHandshake');
/** Runs an installed MCP server in its sandbox behind the proxy (see `runtime/launch.ts`). */
export const run = lazy(launchM, 'run');
/** Runs a command of an installed extension in its sandbox (see `runtime/launch.ts`). */
export const exec = lazy(launchM, 'exec');
/** Re-pins a server's tool surface (see `runtime/launch.ts`). */
export const approve = lazy(launchM, 'approve');
/** What `aext run` would start, with secrets redacted (see `runtime/launch.ts`). */
export const describeRun = lazy(launchM, 'describeRun');
/** Re-checks an installed tree before a start (see `runtime/launch.ts`). */
export const prepareInstalled = lazy(launchM, 'prepareInstalled');
/** Wires an installed server into an agent host's config (see `connect.ts`). */
export const connect = lazy(connectM, 'connect');
/** Removes aext's entries from an agent host's config (see `connect.ts`). */
export const disconnect = lazy(connectM, 'disconnect');
/** aext's entries in the agent hosts' configs (see `connect.ts`). */
export const connections = lazy(connectM, 'connections');
/**
 * Starts the scan worker ahead of a package of about `bytes` (so it boots while the caller loads and
 * opens the archive); does nothing for small packages or on one core (see `pipeline/scan-worker.ts`).
 */
export const prepareScan = lazy(() => import('./pipeline/scan-worker.js'), 'prepareScan');
/** Shows or sets an installed server's `user_config` (see `config.ts`). */
export const configure = lazy(() => import('./config.js'), 'configure');
/** Starts a server and lists its tool surface (see `runtime/mcp-client.ts`). */
export const listSurface = lazy(() => import('./runtime/mcp-client.js'), 'listSurface');
/** Stops a child started by {@link listSurface} (see `runtime/mcp-client.ts`). */
export const stopChild = lazy(() => import('./runtime/mcp-client.js'), 'stopChild');
