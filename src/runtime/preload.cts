/**
 * Loaded INSIDE the sandbox into Node servers with `--require` (CommonJS, no
 * aext imports). Node 20 ignores HTTP(S)_PROXY, so a server written with
 * plain `fetch` or `https.request` could not reach even its declared hosts;
 * this routes both through the sandbox's egress proxy:
 * - `fetch` / undici: the global dispatcher becomes undici's EnvHttpProxyAgent
 *   (the global dispatcher is shared with Node's bundled undici);
 * - `http` / `https` default agents: connections are tunnelled with
 *   `CONNECT host:port` to the proxy (RFC 9110 §9.3.6), then TLS for https.
 * Without a proxy variable it does nothing.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

const proxy = process.env.HTTPS_PROXY ?? process.env.HTTP_PROXY;
if (proxy) {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const undici = require('undici') as typeof import('undici');
    undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent());
  } catch (e) {
    process.stderr.write(`aext preload: undici unavailable, fetch() will not reach the network (${(e as Error).message})\n`);
  }
  const p = new URL(proxy);
  const tunnel = (host: string, port: number, cb: (err: Error | null, s?: net.Socket) => void) => {
    const s = net.connect(Number(p.port || 80), p.hostname);
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData);
      if (!/^HTTP\/1\.[01] 200/.test(buf)) {
        s.destroy();
        cb(new Error(`proxy refused ${host}:${port}: ${buf.split('\r\n')[0]}`));
        return;
      }
      const rest = Buffer.from(buf.slice(end + 4), 'latin1');
      if (rest.length) s.unshift(rest);
      cb(null, s);
    };
    s.on('data', onData);
    s.once('error', (e) => cb(e));
    s.write(`CONNECT ${host}:${port} HTTP/1.1\r\nhost: ${host}:${port}\r\n\r\n`);
  };
  class TunnelHttpsAgent extends https.Agent {
    override createConnection(o: any, cb: any): any {
      tunnel(o.host ?? o.hostname, Number(o.port ?? 443), (err, s) => {
        if (err || !s) return cb(err);
        const t = tls.connect({ ...o, socket: s, servername: o.servername ?? o.host });
        t.once('secureConnect', () => cb(null, t));
        t.once('error', (e) => cb(e));
      });
      return undefined;
    }
  }
  class TunnelHttpAgent extends http.Agent {
    override createConnection(o: any, cb: any): any {
      tunnel(o.host ?? o.hostname, Number(o.port ?? 80), (err, s) => cb(err, s));
      return undefined;
    }
  }
  (https as any).globalAgent = new TunnelHttpsAgent({ keepAlive: true });
  (http as any).globalAgent = new TunnelHttpAgent({ keepAlive: true });
}
