/**
 * The host-side egress proxy of a sandbox: an HTTP proxy listening on a Unix
 * socket (mode 0600, in a fresh private directory) that is bind-mounted into
 * the sandbox, whose network namespace has no route out. It serves
 * `CONNECT host:port` (RFC 9110 §9.3.6, for TLS) and absolute-form plain HTTP
 * requests (RFC 9112 §3.2.2), and admits only what `permissions.network.hosts`
 * declares: the name is matched first ({@link matchHost}), then resolved on
 * the host, every resolved address passes the address guard
 * ({@link addressAllowed}), and the upstream connection goes to the address
 * that was checked (no second lookup, so DNS rebinding cannot swap it).
 * Every decision is reported through `onDecision`.
 */
import http from 'node:http';
import net from 'node:net';
import dns from 'node:dns/promises';
import { promises as fsp } from 'node:fs';
import type { Duplex } from 'node:stream';
import { addressAllowed, canonicalHost, matchHost, parseHostRules, type HostRule } from '../util/host-allowlist.js';

/** One allow/deny decision of the proxy. */
export interface NetDecision {
  allow: boolean;
  host: string;
  port: number;
  /** Why it was denied, or the rule that allowed it. */
  reason: string;
}

/** A running proxy; {@link EgressProxy.close} stops it and removes the socket. */
export interface EgressProxy {
  socketPath: string;
  decisions: NetDecision[];
  close(): Promise<void>;
}

/** Resolver used by the proxy (tests inject one); returns addresses for a name. */
export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Decides whether `host:port` may be reached and where to connect.
 * @returns `{ decision, address }`; `address` is set only when allowed.
 */
export async function decide(rules: readonly HostRule[], host: string, port: number, resolve: Resolver = systemResolver): Promise<{ decision: NetDecision; address?: string }> {
  const canon = canonicalHost(host);
  const deny = (reason: string) => ({ decision: { allow: false, host: canon ?? host, port, reason } });
  if (!canon || !Number.isInteger(port) || port < 1 || port > 65535) return deny('not a valid host:port');
  const rule = matchHost(rules, canon, port);
  if (!rule) return deny('host not declared in aext.json permissions.network.hosts');
  let addrs: string[];
  try {
    addrs = net.isIP(canon) ? [canon] : await resolve(canon);
  } catch (e) {
    return deny(`cannot resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (addrs.length === 0) return deny('no address');
  const bad = addrs.find((a) => !addressAllowed(rule, a));
  if (bad) return deny(`${canon} resolves to ${bad}, a loopback/link-local/private address that ${rule.declared} does not name literally`);
  return { decision: { allow: true, host: canon, port, reason: `declared ${rule.declared}` }, address: addrs[0]! };
}

/**
 * Starts the proxy.
 * @param socketPath where to listen (its directory must be private; a stale file is removed first).
 * @param hosts `permissions.network.hosts`.
 * @throws Node errors from listen (EADDRINUSE, EACCES), as thrown.
 */
export async function startEgressProxy(socketPath: string, hosts: readonly string[], opts: { onDecision?: (d: NetDecision) => void; resolve?: Resolver } = {}): Promise<EgressProxy> {
  const { rules } = parseHostRules(hosts);
  const decisions: NetDecision[] = [];
  const record = (d: NetDecision) => {
    decisions.push(d);
    opts.onDecision?.(d);
  };
  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = http.createServer();
  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    track(client);
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(req.url ?? '');
    const host = m?.[1] ?? '';
    const port = m ? Number(m[2]) : 0;
    void decide(rules, host, port, opts.resolve).then(({ decision, address }) => {
      record(decision);
      if (!decision.allow || !address) {
        client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\naext: ${decision.host}:${port} denied: ${decision.reason}\n`);
        return;
      }
      const up = net.connect({ host: address, port });
      track(up);
      up.once('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) up.write(head);
        up.pipe(client);
        client.pipe(up);
      });
      up.once('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n'));
    });
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('only http: in absolute form');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('aext: absolute-form http:// requests or CONNECT only\n');
      return;
    }
    const port = url.port ? Number(url.port) : 80;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    void decide(rules, host, port, opts.resolve).then(({ decision, address }) => {
      record(decision);
      if (!decision.allow || !address) {
        res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end(`aext: ${decision.host}:${port} denied: ${decision.reason}\n`);
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      delete headers['proxy-authorization'];
      const up = http.request({ host: address, port, method: req.method, path: url.pathname + url.search, headers, setHost: false }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { connection: 'close' });
        res.end();
      });
      req.pipe(up);
    });
  });
  server.on('connection', (s: net.Socket) => track(s));
  await fsp.rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await fsp.chmod(socketPath, 0o600);
  return {
    socketPath,
    decisions,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await fsp.rm(socketPath, { force: true });
    },
  };
}
