/**
 * aext library API (CONTRACT §1): `import { pack, verify, install, scan, check } from 'aext-cli'`.
 * Every function reports failures as {@link AextError} with a stable code.
 */
export { AextError, ERROR_CODES, EXIT, isAextError, type ErrorCode, type ExitCode } from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.js';
export type { Finding, Manifest, Permissions, Severity, Verdict, Reporter, UserConfigOption } from './types.js';
export { pack, type PackOptions, type PackResult } from './pack.js';
export { verify, inspect, sign, type VerifyResult, type InspectResult, type SignResult } from './verify.js';
export { install, list, uninstall, vet, type InstallOptions, type InstallResult } from './install.js';
export { check, scan, validate, type CheckFileResult, type ValidateResult } from './check.js';
export { init, type InitOptions, type InitResult } from './init.js';
export { keygen, loadPrivateKey, loadPublicKey, type KeygenResult, type PrivateKey, type PublicKey } from './inputs/key-files.js';
export { loadPolicy, parsePolicy, evaluatePolicy, DEFAULT_POLICY, type Policy } from './policy/policy.js';
export { toSarif } from './scan/sarif.js';
export { RULES } from './scan/index.js';
export { loadBaseline } from './inputs/baseline-file.js';
export { baselineFor, parseBaseline, type Baseline } from './scan/baseline.js';
export { audit, type AuditResult } from './audit.js';
export { trustAdd, trustList, trustRemove, trustAddRotation } from './trust/trust-store.js';
export { updateRevocations, createRevocationList } from './trust/revocations.js';
export { createRotation } from './trust/rotation.js';
export { resolveRoot } from './store/root.js';
export { resolveMcpConfig, mcpHandshake, type McpTool } from './runtime/handshake.js';
export { VERSION } from './version.js';
export { run, exec, approve, describeRun, prepareInstalled, type RunOptions, type RunResult, type ExecOptions, type ApproveResult, type LaunchOptions } from './runtime/launch.js';
export { planSandbox, type SandboxPlan, type SandboxInput } from './runtime/sandbox.js';
export type { Surface, SurfaceDiff } from './runtime/surface.js';
export { safeText, safeLine } from './util/terminal.js';
export { connect, disconnect, connections, type Connection, type ConnectOptions } from './connect.js';
export { configure, type ConfigureResult } from './config.js';
export { CLIENTS, type ClientName, type Scope } from './hosts/clients.js';
export { listSurface, stopChild, type ListedSurface } from './runtime/mcp-client.js';
