// The egress allow-list and proxy: hosts compared after WHATWG parsing (userinfo, IDNA,
// IPv4 shorthand, trailing dots, ports, wildcards), the resolved-address guard (loopback,
// link-local metadata, private), and the proxy refusing on the wire with nothing reaching
// the upstream listener.
import { describe, expect, it, afterAll } from 'vitest';
import net from 'node:net';
import path from 'node:path';
import { addressAllowed, canonicalHost, classifyAddress, matchHost, parseHostRules } from '../util/host-allowlist.js';
import { decide, startEgressProxy } from './netproxy.js';
import { tmpdir } from '../test-helpers/index.js';

describe('allow-list matching', () => {
  const { rules, invalid } = parseHostRules(['api.github.com', '*.example.com', 'Bücher.example:8443', '127.0.0.1:9000', 'localhost:7000']);
  it('parses and canonicalises entries', () => {
    expect(invalid).toEqual([]);
    expect(rules.map((r) => `${r.wildcard ? '*.' : ''}${r.host}:${r.port ?? ''}`)).toEqual(['api.github.com:', '*.example.com:', 'xn--bcher-kva.example:8443', '127.0.0.1:9000', 'localhost:7000']);
  });
  const cases: Array<[string, number, string | undefined]> = [
    ['api.github.com', 443, 'api.github.com'],
    ['API.GitHub.com.', 443, 'api.github.com'],
    ['api.github.com', 80, 'api.github.com'],
    ['api.github.com', 22, undefined],
    ['api.github.com@evil.example', 443, undefined],
    ['evil.example#api.github.com', 443, undefined],
    ['api.github.com.evil.example', 443, undefined],
    ['a.b.example.com', 443, '*.example.com'],
    ['example.com', 443, undefined],
    ['xexample.com', 443, undefined],
    ['bücher.example', 8443, 'Bücher.example:8443'],
    ['127.1', 9000, '127.0.0.1:9000'],
    ['0x7f.0.0.1', 9000, '127.0.0.1:9000'],
    ['127.0.0.1', 9001, undefined],
  ];
  for (const [host, port, want] of cases) {
    it(`${host}:${port} → ${want ?? 'denied'}`, () => {
      expect(matchHost(rules, host, port)?.declared).toBe(want);
    });
  }
  it('classifies addresses (RFC 1918, 3927, 4193, 4291, 6598)', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1', '169.254.169.254', 'fe80::1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', 'fd00::1', '0.0.0.0', '8.8.8.8'].map(classifyAddress)).toEqual([
      'loopback', 'loopback', 'loopback', 'link-local', 'link-local', 'private', 'private', 'private', 'private', 'private', 'unspecified', 'public',
    ]);
  });
  it('the address guard admits non-public addresses only when the entry names them literally', () => {
    const byName = rules.find((r) => r.host === 'api.github.com')!;
    expect(addressAllowed(byName, '140.82.112.6')).toBe(true);
    expect(addressAllowed(byName, '127.0.0.1')).toBe(false);
    expect(addressAllowed(byName, '169.254.169.254')).toBe(false);
    expect(addressAllowed(rules.find((r) => r.host === '127.0.0.1')!, '127.0.0.1')).toBe(true);
    expect(addressAllowed(rules.find((r) => r.host === 'localhost')!, '::1')).toBe(true);
    expect(addressAllowed(rules.find((r) => r.wildcard)!, '10.0.0.1')).toBe(false);
  });
  it('canonicalHost refuses what is not a host', () => {
    expect(['a b', 'user@host', 'host/path', '', 'host:80'].map(canonicalHost)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('decide (DNS rebinding and metadata guard)', () => {
  const { rules } = parseHostRules(['api.example.org', 'internal.example.org']);
  it('a declared name that resolves to the metadata address or loopback is refused', async () => {
    const resolve = async (h: string) => (h === 'api.example.org' ? ['169.254.169.254'] : ['93.184.216.34', '127.0.0.1']);
    expect((await decide(rules, 'api.example.org', 443, resolve)).decision).toMatchObject({ allow: false });
    expect((await decide(rules, 'internal.example.org', 443, resolve)).decision.reason).toContain('127.0.0.1');
  });
  it('an allowed name connects to the address that was checked', async () => {
    const r = await decide(rules, 'api.example.org', 443, async () => ['93.184.216.34']);
    expect(r).toMatchObject({ decision: { allow: true }, address: '93.184.216.34' });
  });
});

describe('the egress proxy on the wire', () => {
  const closers: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  async function upstream(): Promise<{ port: number; accepted: () => number }> {
    let n = 0;
    const srv = net.createServer((s) => {
      n++;
      s.on('data', (d) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => srv.close(() => r())));
    return { port: (srv.address() as net.AddressInfo).port, accepted: () => n };
  }

  function connectVia(sock: string, target: string): Promise<{ head: string; sock: net.Socket }> {
    return new Promise((resolve, reject) => {
      const s = net.connect(sock);
      let buf = '';
      s.on('data', function onData(d) {
        buf += d.toString('latin1');
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        s.off('data', onData);
        resolve({ head: buf.slice(0, end), sock: s });
      });
      s.on('error', reject);
      s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`);
    });
  }

  it('tunnels a declared host:port, refuses the rest with 403, and the refused upstream accepts nothing', async () => {
    const ok = await upstream();
    const other = await upstream();
    const sock = path.join(tmpdir(), 'p.sock');
    const proxy = await startEgressProxy(sock, [`127.0.0.1:${ok.port}`]);
    closers.push(() => proxy.close());
    const a = await connectVia(sock, `127.0.0.1:${ok.port}`);
    expect(a.head).toMatch(/^HTTP\/1\.1 200/);
    const echoed = await new Promise<string>((r) => {
      a.sock.once('data', (d) => r(d.toString()));
      a.sock.write('ping');
    });
    expect(echoed).toBe('echo:ping');
    a.sock.destroy();
    for (const target of [`127.0.0.1:${other.port}`, `localhost:${ok.port}`, `api.github.com@127.0.0.1:${ok.port}`, `[::1]:${ok.port}`]) {
      const d = await connectVia(sock, target);
      expect(d.head, target).toMatch(/^HTTP\/1\.1 403/);
      d.sock.destroy();
    }
    expect(other.accepted()).toBe(0);
    expect(ok.accepted()).toBe(1);
    expect(proxy.decisions.map((x) => x.allow)).toEqual([true, false, false, false, false]);
  });

  it('absolute-form plain HTTP to an undeclared host is refused without a connection', async () => {
    const other = await upstream();
    const sock = path.join(tmpdir(), 'p.sock');
    const proxy = await startEgressProxy(sock, ['api.example.org']);
    closers.push(() => proxy.close());
    const head = await new Promise<string>((resolve, reject) => {
      const s = net.connect(sock);
      let b = '';
      s.on('data', (d) => (b += d.toString()));
      s.on('end', () => resolve(b));
      s.on('error', reject);
      s.write(`GET http://127.0.0.1:${other.port}/ HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`);
    });
    expect(head).toMatch(/^HTTP\/1\.1 403/);
    expect(other.accepted()).toBe(0);
  });
});
