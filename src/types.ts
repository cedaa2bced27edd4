/**
 * Shared types of the public API (CONTRACT §4–§6). No logic here.
 */

/** `permissions` of aext.json (CONTRACT §5). Absent = not granted. */
export interface Permissions {
  network?: { hosts?: string[] };
  filesystem?: { read?: string[]; write?: string[] };
  shell?: boolean;
  env?: string[];
}

/** MCPB-style server launch configuration; `${__dirname}` is the install directory. */
export interface McpConfig {
  command: string;
  args?: string[];
  env?: Record<string, string>;
}

/** aext.json, version 1 (CONTRACT §5; schemas/aext-manifest.v1.schema.json). */
export interface Manifest {
  aext_version: 1;
  name: string;
  publisher: string;
  version: string;
  kind: 'skill' | 'mcp-server' | 'plugin';
  description: string;
  license?: string;
  author?: { name: string; email?: string; url?: string };
  homepage?: string;
  repository?: string | { type: string; url: string };
  keywords?: string[];
  skill?: { entry?: 'SKILL.md' };
  server?: { type: 'node' | 'python' | 'binary'; entry_point: string; mcp_config: McpConfig };
  plugin?: {
    /** Absent for a plugin without plugin.json (Claude Code's default layout). */
    manifest?: '.claude-plugin/plugin.json';
    skills?: string[];
    commands?: string[];
    agents?: string[];
    hooks?: string;
    mcp_servers?: string;
  };
  permissions?: Permissions;
  /** kind mcp-server: values the user supplies at install, by key (MCPB `user_config`). */
  user_config?: Record<string, UserConfigOption>;
}

/**
 * One user-supplied setting (MCPB manifest `user_config`, https://github.com/modelcontextprotocol/mcpb/blob/main/MANIFEST.md):
 * `directory`/`file` values are absolute paths; `multiple` makes the value a list (one argument each
 * where it stands alone in `args`); `sensitive` values are stored 0600 and never printed or locked.
 */
export interface UserConfigOption {
  type: 'string' | 'number' | 'boolean' | 'directory' | 'file';
  title?: string;
  description?: string;
  required?: boolean;
  sensitive?: boolean;
  multiple?: boolean;
  min?: number;
  max?: number;
  default?: string | number | boolean | string[];
}

/** Scan severities, lowest first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** Numeric rank of a severity (info = 0 … critical = 4). */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** One scan finding (CONTRACT §4). `line`/`column` are 1-based; 0 when not applicable. */
export interface Finding {
  rule: string;
  severity: Severity;
  file: string;
  line: number;
  column: number;
  message: string;
  /** The matched text, truncated to 200 characters, control characters escaped. */
  evidence: string;
}

/** Scan verdict: `block` at/above the blocking severity, `review` for medium, else `pass`. */
export type Verdict = 'pass' | 'review' | 'block';

/** Progress/warning callback used by library functions instead of the console. */
export type Reporter = (level: 'info' | 'warn', message: string) => void;

/**
 * Progress of a long step: `phase` (`hash`, `scan`, `extract`), files done and the total (counts, not bytes).
 * Called often; the caller throttles what it prints.
 */
export type Progress = (p: { phase: 'hash' | 'scan' | 'extract'; done: number; total: number }) => void;
