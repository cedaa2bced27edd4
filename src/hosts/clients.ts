/**
 * The agent hosts aext wires installed extensions into, and where each keeps
 * its MCP server configuration (each client's documented file and shape):
 *
 * | client | user scope | project scope | key | entry |
 * |---|---|---|---|---|
 * | Claude Desktop | `claude_desktop_config.json` in `~/Library/Application Support/Claude` (macOS), `%APPDATA%\Claude` (Windows), `$XDG_CONFIG_HOME/Claude` (Linux, unofficial builds) | — | `mcpServers` | `{command, args, env}` |
 * | Claude Code | `~/.claude.json` | `.mcp.json` | `mcpServers` | `{type: "stdio", command, args, env}` |
 * | VS Code | `Code/User/mcp.json` in the same per-OS config dir | `.vscode/mcp.json` | `servers` (JSONC) | `{type: "stdio", command, args}` |
 * | Cursor | `~/.cursor/mcp.json` | `.cursor/mcp.json` | `mcpServers` | `{command, args, env}` |
 *
 * Sources: modelcontextprotocol.io "Connect to local MCP servers" (Claude
 * Desktop), docs.claude.com Claude Code "MCP" (scopes and `.mcp.json`),
 * code.visualstudio.com "MCP configuration reference", docs.cursor.com "MCP".
 */
import path from 'node:path';

/** A host client aext can connect. */
export type ClientName = 'claude-desktop' | 'claude-code' | 'vscode' | 'cursor';
/** Where an entry goes: the user's own config, or the project's (checked in). */
export type Scope = 'user' | 'project';

/** Every client name, for flag validation. */
export const CLIENTS: readonly ClientName[] = ['claude-desktop', 'claude-code', 'vscode', 'cursor'];

/** One client's MCP config location and entry shape. */
export interface ClientSpec {
  /** Absolute config file. */
  file: string;
  /** Top-level key holding the servers. */
  key: 'mcpServers' | 'servers';
  /** The file may hold comments and trailing commas (JSONC). */
  jsonc: boolean;
  /** Builds the server entry. */
  entry(command: string, args: string[]): Record<string, unknown>;
}

/** Per-OS user config directory (Electron's appData). */
function appData(home: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  if (platform === 'win32') return env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
  return env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
}

/**
 * The config file and shape of `client` at `scope`.
 * @param ctx home directory, project directory (project scope), environment and platform.
 * @returns the spec, or undefined when the client has no such scope (Claude Desktop has no project scope).
 */
export function clientSpec(client: ClientName, scope: Scope, ctx: { home: string; project: string; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform }): ClientSpec | undefined {
  const env = ctx.env ?? process.env;
  const platform = ctx.platform ?? process.platform;
  const plain = (command: string, args: string[]) => ({ command, args, env: {} });
  const stdio = (command: string, args: string[]) => ({ type: 'stdio', command, args, env: {} });
  switch (client) {
    case 'claude-desktop':
      return scope === 'user' ? { file: path.join(appData(ctx.home, env, platform), 'Claude', 'claude_desktop_config.json'), key: 'mcpServers', jsonc: false, entry: plain } : undefined;
    case 'claude-code':
      return { file: scope === 'user' ? path.join(ctx.home, '.claude.json') : path.join(ctx.project, '.mcp.json'), key: 'mcpServers', jsonc: false, entry: stdio };
    case 'vscode':
      return { file: scope === 'user' ? path.join(appData(ctx.home, env, platform), 'Code', 'User', 'mcp.json') : path.join(ctx.project, '.vscode', 'mcp.json'), key: 'servers', jsonc: true, entry: (command, args) => ({ type: 'stdio', command, args }) };
    case 'cursor':
      return { file: scope === 'user' ? path.join(ctx.home, '.cursor', 'mcp.json') : path.join(ctx.project, '.cursor', 'mcp.json'), key: 'mcpServers', jsonc: false, entry: plain };
  }
}

/** Claude Code's settings file (`enabledPlugins`, `extraKnownMarketplaces`) and skills directory at `scope`. */
export function claudeCodePaths(scope: Scope, ctx: { home: string; project: string }): { settings: string; skills: string } {
  const base = scope === 'user' ? path.join(ctx.home, '.claude') : path.join(ctx.project, '.claude');
  return { settings: path.join(base, 'settings.json'), skills: path.join(base, 'skills') };
}
