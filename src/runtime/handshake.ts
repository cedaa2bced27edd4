/**
 * Starting an installed MCP server (demo and end-to-end tests): resolves the
 * manifest's `mcp_config` (`${__dirname}` = install dir, MCPB convention) and
 * performs the MCP `initialize` + `tools/list` handshake over stdio
 * (JSON-RPC 2.0, newline-delimited; MCP spec 2025-06-18 "stdio" transport).
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { AextError } from '../errors.js';
import { parseManifest } from '../manifest/validate.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { McpConfig } from '../types.js';

/** A tool advertised by a server. */
export interface McpTool {
  name: string;
  description?: string;
}

/**
 * Reads the installed manifest and substitutes `${__dirname}` in command, args and env.
 * @param installDir absolute install directory.
 * @throws AextError E_USAGE when the extension is not an mcp-server.
 */
export async function resolveMcpConfig(installDir: string): Promise<McpConfig> {
  const m = parseManifest(await fsp.readFile(path.join(installDir, 'aext.json')), DEFAULT_LIMITS);
  if (m.kind !== 'mcp-server' || !m.server) throw new AextError('E_USAGE', `${m.publisher}/${m.name} is a ${m.kind}, not an mcp-server`);
  const sub = (s: string) => s.split('${__dirname}').join(installDir);
  const c = m.server.mcp_config;
  return { command: sub(c.command), args: (c.args ?? []).map(sub), ...(c.env ? { env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, sub(v)])) } : {}) };
}

/**
 * Starts the server, sends `initialize`, `notifications/initialized` and
 * `tools/list`, and stops it.
 * @param timeoutMs overall time limit in ms.
 * @returns server info and tools.
 * @throws AextError E_SERVER_START (spawn failure, exit, timeout, JSON-RPC error).
 */
export async function mcpHandshake(cfg: McpConfig, timeoutMs = 20_000, cwd?: string): Promise<{ serverInfo: unknown; protocolVersion: string; tools: McpTool[] }> {
  const child = spawn(cfg.command, cfg.args ?? [], { cwd, env: { ...process.env, ...(cfg.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    if (stderr.length < 8192) stderr += c.toString('utf8');
  });
  const pending = new Map<number, (msg: { result?: unknown; error?: { message: string } }) => void>();
  let buf = '';
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      try {
        const msg = JSON.parse(line) as { id?: number; result?: unknown; error?: { message: string } };
        if (typeof msg.id === 'number' && pending.has(msg.id)) {
          pending.get(msg.id)!(msg);
          pending.delete(msg.id);
        }
      } catch {
        /* not JSON-RPC: ignore */
      }
    }
  });
  const fail = (why: string) => new AextError('E_SERVER_START', `MCP server ${cfg.command}: ${why}${stderr ? ` (stderr: ${stderr.trim().slice(0, 500)})` : ''}`);
  const exited = new Promise<never>((_, reject) => {
    child.on('error', (e) => reject(fail(e.message)));
    child.on('exit', (code, sig) => reject(fail(`exited early (code ${code}, signal ${sig})`)));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let nextId = 1;
  const request = (method: string, params: unknown) => {
    const id = nextId++;
    const p = new Promise<unknown>((resolve, reject) =>
      pending.set(id, (msg) => (msg.error ? reject(fail(`${method}: ${msg.error.message}`)) : resolve(msg.result))),
    );
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    return Promise.race([p, exited, timeout]);
  };
  try {
    const init = (await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'aext', version: '0.1.0' } })) as { serverInfo: unknown; protocolVersion: string };
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    const list = (await request('tools/list', {})) as { tools: McpTool[] };
    return { serverInfo: init.serverInfo, protocolVersion: init.protocolVersion, tools: (list.tools ?? []).map((t) => ({ name: t.name, description: t.description })) };
  } finally {
    clearTimeout(timer);
    exited.catch(() => undefined);
    child.stdin.end();
    child.kill('SIGTERM');
  }
}
