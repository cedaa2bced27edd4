/**
 * A minimal MCP client over stdio (MCP spec 2025-06-18, "stdio" transport and
 * lifecycle): `initialize`, `notifications/initialized`, then the list
 * methods the server's capabilities announce, following `nextCursor`
 * pagination. Used by `aext approve`, `install --pin-now`, the demo and the
 * end-to-end tests. Lines that are not JSON are ignored here (this client
 * reads a surface, it does not guard one; the proxy does).
 */
import type { ChildProcess } from 'node:child_process';
import { AextError } from '../errors.js';
import { VERSION } from '../version.js';
import { KIND_INFO, SURFACE_KINDS, type SurfaceKind } from './surface.js';

/** What a server lists. */
export interface ListedSurface {
  serverInfo: unknown;
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  lists: Record<SurfaceKind, Array<Record<string, unknown>>>;
}

/** The protocol revision aext asks for. */
export const MCP_PROTOCOL_VERSION = '2025-06-18';

/** Which capability announces each kind (MCP spec "Server features"). */
const CAPABILITY: Record<SurfaceKind, string> = { tools: 'tools', prompts: 'prompts', resources: 'resources', resourceTemplates: 'resources' };

/**
 * Runs the handshake and every list on a started child whose stdio are pipes.
 * Does not stop the child.
 * @param timeoutMs overall limit in ms. @param label names the server in errors.
 * @throws AextError E_SERVER_START (exit, timeout, JSON-RPC error, malformed list).
 */
export async function listSurface(child: ChildProcess, timeoutMs: number, label: string): Promise<ListedSurface> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    if (stderr.length < 8192) stderr += c.toString('utf8');
  });
  const pending = new Map<number, (msg: { result?: unknown; error?: { message?: string } }) => void>();
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      try {
        const msg = JSON.parse(line) as { id?: number; result?: unknown; error?: { message?: string } };
        const cb = typeof msg.id === 'number' ? pending.get(msg.id) : undefined;
        if (cb) {
          pending.delete(msg.id!);
          cb(msg);
        }
      } catch {
        /* not JSON-RPC: ignored by this client */
      }
    }
  });
  const fail = (why: string) => new AextError('E_SERVER_START', `MCP server ${label}: ${why}${stderr ? ` (stderr: ${stderr.trim().slice(0, 500)})` : ''}`);
  const exited = new Promise<never>((_, reject) => {
    child.on('error', (e) => reject(fail(e.message)));
    child.on('exit', (code, sig) => reject(fail(`exited early (code ${code}, signal ${sig})`)));
  });
  exited.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  timeout.catch(() => undefined);
  let nextId = 1;
  const request = (method: string, params: unknown) => {
    const id = nextId++;
    const p = new Promise<unknown>((resolve, reject) => pending.set(id, (msg) => (msg.error ? reject(fail(`${method}: ${msg.error.message ?? 'error'}`)) : resolve(msg.result))));
    child.stdin!.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    return Promise.race([p, exited, timeout]);
  };
  try {
    const init = (await request('initialize', { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'aext', version: VERSION } })) as { serverInfo?: unknown; protocolVersion?: string; capabilities?: Record<string, unknown> };
    child.stdin!.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    const caps = init?.capabilities && typeof init.capabilities === 'object' ? init.capabilities : {};
    const lists = { tools: [], prompts: [], resources: [], resourceTemplates: [] } as ListedSurface['lists'];
    for (const kind of SURFACE_KINDS) {
      if (!(CAPABILITY[kind] in caps)) continue;
      let cursor: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const r = (await request(KIND_INFO[kind].method, cursor ? { cursor } : {})) as Record<string, unknown> | undefined;
        const items = r?.[kind];
        if (!Array.isArray(items)) throw fail(`${KIND_INFO[kind].method} returned no ${kind} array`);
        lists[kind].push(...(items as Array<Record<string, unknown>>));
        cursor = typeof r?.nextCursor === 'string' ? r.nextCursor : undefined;
        if (!cursor) break;
      }
    }
    return { serverInfo: init?.serverInfo, protocolVersion: String(init?.protocolVersion ?? ''), capabilities: caps, lists };
  } finally {
    clearTimeout(timer);
  }
}

/** How {@link stopChild} ended a child: it exited by itself after its stdin closed, or needed SIGTERM, or SIGKILL. */
export type StopOutcome = 'exited' | 'sigterm' | 'sigkill';

/**
 * Stops a child the way the MCP stdio lifecycle says (specification, basic/lifecycle,
 * "Shutdown", stdio): close its stdin, wait, then SIGTERM, then SIGKILL.
 * @param graceMs wait before each escalation, in ms.
 * @returns which step ended it ('exited' also when it had already exited).
 */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<StopOutcome> {
  if (child.exitCode !== null || child.signalCode !== null) return 'exited';
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.stdin?.end();
  const wait = (ms: number) => Promise.race([gone.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  if (await wait(graceMs)) return 'exited';
  child.kill('SIGTERM');
  if (await wait(graceMs)) return 'sigterm';
  child.kill('SIGKILL');
  await gone;
  return 'sigkill';
}
