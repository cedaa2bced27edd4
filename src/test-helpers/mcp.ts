// A test-side MCP client over in-memory streams, for driving `run()` and the proxy.
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { CLI } from './index.js';

/** One JSON-RPC message as the test sees it. */
export type Rpc = Record<string, any>;

/** Client end of an MCP stdio pipe: `input`/`output` go to run() (or the proxy's client side). */
export class TestClient {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly received: Rpc[] = [];
  private buf = '';
  private waiters: Array<{ id: unknown; resolve: (m: Rpc) => void }> = [];
  private nextId = 1;

  constructor() {
    this.output.on('data', (c: Buffer) => {
      this.buf += c.toString('utf8');
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (!line.trim()) continue;
        const v = JSON.parse(line);
        for (const m of Array.isArray(v) ? v : [v]) {
          this.received.push(m);
          const w = this.waiters.findIndex((x) => JSON.stringify(x.id) === JSON.stringify(m.id));
          if (w >= 0) this.waiters.splice(w, 1)[0]!.resolve(m);
        }
      }
    });
  }

  /** Sends a raw line (no framing check). */
  raw(line: string): void {
    this.input.write(line + '\n');
  }

  /** Sends a request and waits for the response with its id (rejects after `ms`). */
  request(method: string, params: unknown = {}, ms = 20_000): Promise<Rpc> {
    const id = this.nextId++;
    const p = new Promise<Rpc>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to ${method} within ${ms} ms`)), ms);
      this.waiters.push({ id, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
    this.input.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    return p;
  }

  notify(method: string, params: unknown = {}): void {
    this.input.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n');
  }

  /** initialize + notifications/initialized. */
  async init(): Promise<Rpc> {
    const r = await this.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'aext-test', version: '1' } });
    this.notify('notifications/initialized');
    return r;
  }

  /** Calls a tool; returns the text of its first content item, or the error message. */
  async call(name: string, args: Record<string, unknown> = {}): Promise<{ text?: string; error?: { code: number; message: string } }> {
    const r = await this.request('tools/call', { name, arguments: args });
    return r.error ? { error: r.error } : { text: r.result?.content?.[0]?.text };
  }

  close(): void {
    this.input.end();
  }
}

/** initialize + tools/list through `aext run` (what a host client does). */
export function toolsUnderRun(key: string, root: string): string[] {
  const input = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  ].map((m) => JSON.stringify(m)).join('\n') + '\n';
  const r = spawnSync(process.execPath, [CLI, 'run', key, '--root', root], { input, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const list = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.id === 2);
  expect(list?.result, r.stderr).toBeDefined();
  return list.result.tools.map((t: { name: string }) => t.name);
}

