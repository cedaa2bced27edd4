/**
 * The network allow-list of a sandboxed extension: `permissions.network.hosts`
 * entries (`api.example.com`, `*.example.com`, `host:8443`) matched against
 * the host and port a CONNECT or absolute-form request names, and the
 * resolved-address guard that refuses loopback, link-local (cloud metadata),
 * private and unspecified addresses unless the entry names that address or
 * `localhost` literally (the guard of Anthropic's sandbox runtime; SSRF
 * classes of OWASP's SSRF prevention cheat sheet).
 *
 * Host names are compared only after WHATWG URL host parsing (IDNA to
 * punycode, lower case, IPv4 shorthand such as `127.1` canonicalised, IPv6
 * brackets), with one trailing dot removed; userinfo is never part of a host.
 */
import net from 'node:net';

/** One parsed allow-list entry. */
export interface HostRule {
  /** Canonical host (WHATWG), without a `*.` prefix. */
  host: string;
  /** True for `*.host`: one or more labels before `host`, never `host` itself. */
  wildcard: boolean;
  /** Allowed port; undefined = 80 and 443. */
  port?: number;
  /** The entry as declared. */
  declared: string;
}

/**
 * Canonicalises a host name the way a WHATWG URL parser does.
 * @returns the canonical host (IPv6 without brackets), or undefined when it is not a valid host.
 */
export function canonicalHost(host: string): string | undefined {
  const h = host.trim();
  if (!h || /[\s/@\\?#]/.test(h)) return undefined;
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  if (net.isIPv6(bare)) {
    try {
      return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
    } catch {
      return undefined;
    }
  }
  if (h.includes(':')) return undefined; // a port (`:80` would vanish as http's default) or a stray colon
  try {
    const u = new URL(`http://${h}/`);
    if (u.username || u.password || u.port) return undefined;
    return u.hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Parses `permissions.network.hosts`.
 * @returns the rules; entries that do not parse are returned in `invalid` (never matched).
 */
export function parseHostRules(hosts: readonly string[]): { rules: HostRule[]; invalid: string[] } {
  const rules: HostRule[] = [];
  const invalid: string[] = [];
  for (const declared of hosts) {
    const m = /^(\*\.)?(.+?)(?::(\d{1,5}))?$/.exec(declared);
    const host = m ? canonicalHost(m[2]!) : undefined;
    const port = m?.[3] !== undefined ? Number(m[3]) : undefined;
    if (!m || !host || (port !== undefined && (port < 1 || port > 65535))) {
      invalid.push(declared);
      continue;
    }
    rules.push({ host, wildcard: m[1] !== undefined, ...(port !== undefined ? { port } : {}), declared });
  }
  return { rules, invalid };
}

/**
 * Finds the rule that admits `host:port`.
 * @param host as named by the client (canonicalised here). @param port TCP port.
 * @returns the matching rule, or undefined (denied).
 */
export function matchHost(rules: readonly HostRule[], host: string, port: number): HostRule | undefined {
  const h = canonicalHost(host);
  if (!h) return undefined;
  return rules.find((r) => {
    if (r.port !== undefined ? r.port !== port : port !== 443 && port !== 80) return false;
    return r.wildcard ? h.endsWith(`.${r.host}`) && h.length > r.host.length + 1 : h === r.host;
  });
}

/** Address classes the guard refuses unless declared literally. */
export type AddressClass = 'public' | 'loopback' | 'link-local' | 'private' | 'unspecified' | 'multicast' | 'reserved';

const v4 = (a: string) => a.split('.').map(Number) as [number, number, number, number];

/**
 * Classifies an IP address (IPv4, IPv6, IPv4-mapped IPv6).
 * Sources: RFC 1918 (private), RFC 3927 (169.254/16, which holds the cloud
 * metadata endpoint 169.254.169.254), RFC 6598 (100.64/10), RFC 4193 (fc00::/7),
 * RFC 4291 (::1, fe80::/10, ff00::/8).
 */
export function classifyAddress(addr: string): AddressClass {
  let a = addr.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1]!;
  if (net.isIPv4(a)) {
    const [x, y] = v4(a);
    if (x === 127) return 'loopback';
    if (x === 0) return 'unspecified';
    if (x === 169 && y === 254) return 'link-local';
    if (x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 100 && y >= 64 && y <= 127)) return 'private';
    if (x >= 224 && x <= 239) return 'multicast';
    if (x >= 240) return 'reserved';
    return 'public';
  }
  if (net.isIPv6(a)) {
    if (a === '::1') return 'loopback';
    if (a === '::') return 'unspecified';
    if (/^fe[89ab]/.test(a)) return 'link-local';
    if (/^f[cd]/.test(a)) return 'private';
    if (a.startsWith('ff')) return 'multicast';
    if (a === 'fd00:ec2::254') return 'link-local';
    return 'public';
  }
  return 'reserved';
}

/**
 * The resolved-address guard: may a connection to `address` (resolved from
 * the rule's host) go ahead?
 * @returns true for public addresses, or when the rule names this address or
 *   `localhost` literally (a publisher who declares `127.0.0.1:8080` means it).
 */
export function addressAllowed(rule: HostRule, address: string): boolean {
  const cls = classifyAddress(address);
  if (cls === 'public') return true;
  if (rule.wildcard) return false;
  if (rule.host === 'localhost') return cls === 'loopback';
  const lit = canonicalHost(address);
  return lit !== undefined && lit === rule.host;
}

/**
 * True when `host` is covered by a `permissions.network.hosts` pattern on any port
 * (`*.x.com` covers subdomains, not `x.com`); both sides compared after WHATWG host parsing.
 * The capability check and the policy ceiling use it; the egress proxy matches ports too ({@link matchHost}).
 */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  const h = canonicalHost(host);
  if (!h) return false;
  const { rules } = parseHostRules(patterns);
  return rules.some((r) => (r.wildcard ? h.endsWith(`.${r.host}`) && h.length > r.host.length + 1 : h === r.host));
}
