/**
 * The fail-closed MCP proxy between a host client and a sandboxed server,
 * over the stdio transport of the MCP specification (2025-06-18, unchanged in
 * 2025-11-25): UTF-8 JSON-RPC 2.0 messages, one per line, no embedded
 * newlines; batches (arrays, 2025-03-26) are checked message by message.
 *
 * What it enforces:
 * - every line must be strict UTF-8, at most `maxLineBytes`, and parse as a
 *   JSON-RPC 2.0 request, notification or response (or a batch of them);
 *   anything else ends the session — nothing unread is ever forwarded;
 * - messages are re-serialised from what was checked, so the peer reads
 *   exactly the parsed value (no duplicate-key or whitespace differentials);
 * - list results (tools, prompts, resources, resource templates) are checked
 *   against the pinned surface ({@link checkItem}): changed, added, blocked or
 *   malformed items are removed; calls to them (`tools/call`, `prompts/get`,
 *   `resources/read`) are answered with error -32001 and never reach the
 *   server; with no pin for a kind, the first complete listing is pinned
 *   (trust on first use) after every item is scanned;
 * - every string the server sends is redacted with the secret table;
 * - a response whose id matches no pending client request is dropped.
 */
import type { Readable, Writable } from 'node:stream';
import type { Severity } from '../types.js';
import { redactJson, type Redaction } from './redact.js';
import { checkItem, emptySurface, itemKey, KIND_INFO, pinItem, SURFACE_KINDS, type HiddenReason, type Surface, type SurfaceKind } from './surface.js';

/** JSON-RPC error code for a refused call (implementation-defined server error range, JSON-RPC 2.0 §5.1). */
export const E_PIN_MISMATCH_RPC = -32001;
/** JSON-RPC error code for a duplicate in-flight request id. */
export const E_DUPLICATE_ID_RPC = -32600;

/** Something the proxy did or saw, for the launcher's diagnostics. */
export type ProxyEvent =
  | { type: 'hidden'; kind: SurfaceKind; key: string; reason: HiddenReason }
  | { type: 'pinned'; kind: SurfaceKind; count: number; blocked: string[] }
  | { type: 'refused'; method: string; key: string; reason: string }
  | { type: 'redacted'; count: number; kinds: string[] }
  | { type: 'dropped'; why: string }
  | { type: 'pin-error'; message: string };

/** Why the session ended. */
export interface ProxyEnd {
  reason: 'client-closed' | 'server-closed' | 'violation';
  /** For a violation: which side and what was wrong. */
  message?: string;
}

/** Options of {@link startMcpProxy}. */
export interface McpProxyOptions {
  /** Host client side: what the client writes (our stdin) and reads (our stdout). */
  clientIn: Readable;
  clientOut: Writable;
  /** Server side: the sandboxed server's stdin and stdout. */
  serverIn: Writable;
  serverOut: Readable;
  /** The pinned surface, if any. */
  surface?: Surface;
  /** Severity at or above which a scanned item is blocked (default high). */
  failOn?: Severity;
  /** Longest accepted line, bytes. */
  maxLineBytes: number;
  /** Persists a new or grown pin (trust on first use). A rejection is reported, the session goes on with the pin in memory. */
  onPin?: (s: Surface) => Promise<void>;
  onEvent?: (e: ProxyEvent) => void;
  /** Text appended to refusal messages (e.g. "run: aext approve acme/x"). */
  hint?: string;
}

/** A running proxy. */
export interface McpProxy {
  /** Settles when either side closes or a violation ends the session. */
  done: Promise<ProxyEnd>;
  /** Settles when the server's output has ended and every line of it was handled. */
  drained: Promise<void>;
  /** The surface as it stands (pinned plus anything pinned in this session). */
  surface(): Surface | undefined;
}

type Msg = Record<string, unknown>;
type Kind = 'request' | 'notification' | 'response';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LIST_RESULT_FIELD: Record<SurfaceKind, string> = { tools: 'tools', prompts: 'prompts', resources: 'resources', resourceTemplates: 'resourceTemplates' };
const KIND_OF_METHOD = new Map(SURFACE_KINDS.map((k) => [KIND_INFO[k].method, k]));

class Violation extends Error {}

/** Classifies one JSON-RPC 2.0 message. @throws Violation when it is none of the three shapes. */
function classifyMessage(m: unknown): Kind {
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new Violation('a batch element is not a JSON object');
  const o = m as Msg;
  if (o.jsonrpc !== '2.0') throw new Violation('"jsonrpc" is not "2.0"');
  const hasId = 'id' in o;
  const idOk = typeof o.id === 'string' || (typeof o.id === 'number' && Number.isFinite(o.id));
  if (typeof o.method === 'string') {
    if (!hasId) return 'notification';
    if (!idOk) throw new Violation('request id is not a string or number');
    return 'request';
  }
  if ('method' in o) throw new Violation('"method" is not a string');
  if (!hasId || (!idOk && o.id !== null)) throw new Violation('message is neither a request, a notification nor a response');
  if (('result' in o) === ('error' in o)) throw new Violation('response must carry exactly one of result and error');
  return 'response';
}

/** Splits a byte stream into lines, enforcing the size cap and strict UTF-8; `onLine` is awaited in order. */
function lineReader(input: Readable, max: number, onLine: (line: string) => Promise<void>, onEnd: () => void, onBad: (why: string) => void): void {
  let parts: Buffer[] = [];
  let size = 0;
  let chain = Promise.resolve();
  let dead = false;
  const fail = (why: string) => {
    if (dead) return;
    dead = true;
    onBad(why);
  };
  const emit = (buf: Buffer) => {
    let text: string;
    try {
      text = UTF8.decode(buf);
    } catch {
      fail('a line is not valid UTF-8');
      return;
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return;
    chain = chain.then(() => (dead ? undefined : onLine(text))).catch((e: unknown) => fail((e as Error).message));
  };
  input.on('data', (chunk: Buffer) => {
    if (dead) return;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (size + piece.length > max) return fail(`a line is longer than ${max} bytes`);
      parts.push(piece);
      emit(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      parts = [];
      size = 0;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (size + rest.length > max) return fail(`a line is longer than ${max} bytes`);
    if (rest.length) {
      parts.push(Buffer.from(rest));
      size += rest.length;
    }
  });
  input.on('end', () => {
    if (size > 0 && !dead) fail('the stream ended inside a line');
    void chain.then(() => {
      if (!dead) onEnd();
    });
  });
  input.on('error', (e) => fail(e.message));
}

/**
 * Starts proxying. The caller owns the streams' lifetimes: on `done` it ends
 * the server and its own output.
 * @returns the running proxy.
 */
export function startMcpProxy(o: McpProxyOptions): McpProxy {
  let surface = o.surface;
  const failOn = o.failOn ?? 'high';
  const emit = (e: ProxyEvent) => o.onEvent?.(e);
  /** Pending client requests: JSON id → method. */
  const pending = new Map<string, string>();
  /** Per kind: items hidden in this session (key → reason), and whether a listing was seen. */
  const hidden = new Map<SurfaceKind, Map<string, HiddenReason>>(SURFACE_KINDS.map((k) => [k, new Map()]));
  const listedNow = new Set<SurfaceKind>();
  const visibleNow = new Map<SurfaceKind, Set<string>>(SURFACE_KINDS.map((k) => [k, new Set()]));
  /** Kinds in trust-on-first-use: no pin for them yet, and their first listing is not complete. */
  const tofu = new Set<SurfaceKind>(SURFACE_KINDS.filter((k) => !surface?.kinds.includes(k)));
  let finished = false;
  let violated = false;
  let resolveDone!: (e: ProxyEnd) => void;
  const done = new Promise<ProxyEnd>((r) => (resolveDone = r));
  let resolveDrained!: () => void;
  const drained = new Promise<void>((r) => (resolveDrained = r));
  const finish = (e: ProxyEnd) => {
    if (e.reason === 'violation') violated = true;
    if (finished) return;
    finished = true;
    resolveDone(e);
  };
  // After the client closes, the server may still answer (MCP stdio shutdown); only a violation stops all output.
  const write = (w: Writable, v: unknown) => {
    if (!violated && w.writable) w.write(JSON.stringify(v) + '\n');
  };
  /** List requests in flight per kind, and calls waiting for their answers (a pipelining client may not wait). */
  const listsInFlight = new Map<SurfaceKind, number>(SURFACE_KINDS.map((k) => [k, 0]));
  const listWaiters = new Map<SurfaceKind, Array<() => void>>(SURFACE_KINDS.map((k) => [k, []]));
  const listSettled = (k: SurfaceKind) => {
    listsInFlight.set(k, Math.max(0, listsInFlight.get(k)! - 1));
    if (listsInFlight.get(k) === 0) for (const w of listWaiters.get(k)!.splice(0)) w();
  };
  const hint = o.hint ? ` (${o.hint})` : '';

  const refusal = (method: string, key: string, why: string, id: unknown) => {
    emit({ type: 'refused', method, key, reason: why });
    return { jsonrpc: '2.0', id, error: { code: E_PIN_MISMATCH_RPC, message: `aext: ${method} ${JSON.stringify(key)} refused: ${why}${hint}` } };
  };

  /** May the client use item `key` of `kind`? Returns the reason when not. */
  const allowedUse = (kind: SurfaceKind, key: string): string | undefined => {
    if (listedNow.has(kind)) {
      if (visibleNow.get(kind)!.has(key)) return undefined;
      const r = hidden.get(kind)!.get(key);
      return r ? `it is hidden (${r} since it was pinned)` : 'it was not listed by the server';
    }
    const pinned = surface?.items[kind][key];
    if (!pinned) return kind === 'resources' ? undefined : 'it has not been listed and approved';
    if (pinned.blocked?.length) return `it is blocked (${pinned.blocked.join(', ')})`;
    return undefined;
  };

  const fromClient = async (m: Msg, kind: Kind): Promise<{ forward?: Msg; reply?: Msg }> => {
    if (kind !== 'request') return { forward: m };
    const idKey = JSON.stringify(m.id);
    if (pending.has(idKey)) return { reply: { jsonrpc: '2.0', id: m.id, error: { code: E_DUPLICATE_ID_RPC, message: 'aext: duplicate in-flight request id' } } };
    const method = m.method as string;
    const params = (m.params && typeof m.params === 'object' ? m.params : {}) as Msg;
    const use: Record<string, [SurfaceKind, unknown]> = { 'tools/call': ['tools', params.name], 'prompts/get': ['prompts', params.name], 'resources/read': ['resources', params.uri] };
    const u = use[method];
    if (u) {
      const [k, key] = u;
      if (typeof key !== 'string') return { reply: refusal(method, String(key), 'no name', m.id) };
      if (listsInFlight.get(k)! > 0) await new Promise<void>((r) => listWaiters.get(k)!.push(r));
      const why = allowedUse(k, key);
      if (why) return { reply: refusal(method, key, why, m.id) };
    }
    pending.set(idKey, method);
    const lk = KIND_OF_METHOD.get(method);
    if (lk) listsInFlight.set(lk, listsInFlight.get(lk)! + 1);
    return { forward: m };
  };

  const filterList = async (kind: SurfaceKind, result: Msg): Promise<Msg> => {
    const field = LIST_RESULT_FIELD[kind];
    const items = Array.isArray(result[field]) ? (result[field] as unknown[]) : [];
    if (!listedNow.has(kind)) {
      listedNow.add(kind);
      visibleNow.get(kind)!.clear();
      hidden.get(kind)!.clear();
    }
    const keep: unknown[] = [];
    let grew = false;
    const blocked: string[] = [];
    for (const item of items) {
      const key = itemKey(kind, item);
      if (tofu.has(kind) && key && !surface?.items[kind][key]) {
        surface ??= emptySurface('tofu');
        const { pin } = pinItem(kind, key, item as Record<string, unknown>, failOn);
        surface.items[kind][key] = pin;
        grew = true;
        if (pin.blocked) blocked.push(key);
      }
      const c = checkItem(surface, kind, item);
      if (c.visible) {
        keep.push(item);
        visibleNow.get(kind)!.add(c.key);
        hidden.get(kind)!.delete(c.key);
      } else {
        hidden.get(kind)!.set(c.key, c.reason!);
        visibleNow.get(kind)!.delete(c.key);
        emit({ type: 'hidden', kind, key: c.key, reason: c.reason! });
      }
    }
    if (tofu.has(kind) && typeof result.nextCursor !== 'string') {
      tofu.delete(kind);
      surface ??= emptySurface('tofu');
      surface.kinds = [...new Set([...surface.kinds, kind])];
      grew = true;
    }
    if (grew && surface) {
      emit({ type: 'pinned', kind, count: Object.keys(surface.items[kind]).length, blocked });
      try {
        await o.onPin?.(surface);
      } catch (e) {
        emit({ type: 'pin-error', message: (e as Error).message });
      }
    }
    return { ...result, [field]: keep };
  };

  const fromServer = async (m: Msg, kind: Kind): Promise<Msg | undefined> => {
    let out = m;
    if (kind === 'response') {
      const idKey = JSON.stringify(m.id);
      const method = pending.get(idKey);
      if (method === undefined) {
        emit({ type: 'dropped', why: `response to unknown id ${idKey}` });
        return undefined;
      }
      pending.delete(idKey);
      const k = KIND_OF_METHOD.get(method);
      if (k) {
        try {
          if (m.result && typeof m.result === 'object' && !Array.isArray(m.result)) out = { ...m, result: await filterList(k, m.result as Msg) };
        } finally {
          listSettled(k);
        }
      }
    }
    const seen: Redaction = { count: 0, kinds: [] };
    const red = redactJson(out, seen) as Msg;
    if (seen.count) emit({ type: 'redacted', count: seen.count, kinds: seen.kinds });
    return red;
  };

  const parse = (line: string, side: string): { items: unknown[]; batch: boolean } => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Violation(`${side} sent a line that is not JSON`);
    }
    if (Array.isArray(v)) {
      if (v.length === 0) throw new Violation(`${side} sent an empty batch`);
      return { items: v, batch: true };
    }
    return { items: [v], batch: false };
  };

  const violation = (side: string) => (why: string) => {
    finish({ reason: 'violation', message: why.startsWith(side) ? why : `${side}: ${why}` });
  };

  /**
   * One line from `side`: every message is classified and handled; what passes goes on to
   * `peer` (as a batch when it came as one), replies go back to the client.
   */
  const onLine = (side: 'client' | 'server', peer: Writable, handle: (m: Msg, k: Kind) => Promise<Msg | undefined>) => async (line: string) => {
    const { items, batch } = parse(line, side);
    const out: Msg[] = [];
    for (const it of items) {
      let k: Kind;
      try {
        k = classifyMessage(it);
      } catch (e) {
        throw new Violation(`${side}: ${(e as Error).message}`);
      }
      const r = await handle(it as Msg, k);
      if (r) out.push(r);
    }
    if (out.length) write(peer, batch ? out : out[0]);
  };

  lineReader(
    o.clientIn,
    o.maxLineBytes,
    onLine('client', o.serverIn, async (m, k) => {
      const r = await fromClient(m, k);
      if (r.reply) write(o.clientOut, r.reply);
      return r.forward;
    }),
    () => finish({ reason: 'client-closed' }),
    violation('client'),
  );
  lineReader(
    o.serverOut,
    o.maxLineBytes,
    onLine('server', o.clientOut, fromServer),
    () => {
      finish({ reason: 'server-closed' });
      resolveDrained();
    },
    (why) => {
      violation('server')(why);
      resolveDrained();
    },
  );
  return { done, drained, surface: () => surface };
}
