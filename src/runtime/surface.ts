/**
 * The pinned MCP surface of an installed server: every tool, prompt, resource
 * and resource template it lists, each pinned by the SHA-256 of the canonical
 * JSON (RFC 8785 subset) of the whole item as the client receives it — name,
 * title, description, input and output schema, annotations and any other
 * field — so a changed description, a widened schema, a renamed or an added
 * item is drift (rug pull; the rename case is why additions count too:
 * norviq.dev, "The MCP server you approved is not the one running tomorrow").
 *
 * Each item's text is scanned with the scanner's rules when first seen (tool
 * poisoning: `<IMPORTANT>` blocks, hidden instructions, concealment, cross-
 * tool shadowing; Invariant Labs' MCP tool-poisoning advisory, 2025). An item
 * with a finding at or above the blocking severity is pinned as blocked and
 * stays hidden whatever `aext approve` says.
 *
 * Pure: no I/O. The pin lives in the integrity-covered lock entry (`surface`).
 */
import type { Finding, Severity } from '../types.js';
import { severityRank } from '../types.js';
import { scanOne } from '../scan/index.js';
import { canonicalJson } from '../util/json.js';
import { sha256Hex } from '../util/hash.js';

/** The four listable kinds of an MCP server (MCP spec 2025-06-18: tools/list, prompts/list, resources/list, resources/templates/list). */
export const SURFACE_KINDS = ['tools', 'prompts', 'resources', 'resourceTemplates'] as const;
/** One of {@link SURFACE_KINDS}. */
export type SurfaceKind = (typeof SURFACE_KINDS)[number];

/** The list method of each kind and the field that names an item. */
export const KIND_INFO: Readonly<Record<SurfaceKind, { method: string; key: string }>> = {
  tools: { method: 'tools/list', key: 'name' },
  prompts: { method: 'prompts/list', key: 'name' },
  resources: { method: 'resources/list', key: 'uri' },
  resourceTemplates: { method: 'resources/templates/list', key: 'uriTemplate' },
};

/** One pinned item. */
export interface PinnedItem {
  /** Hex SHA-256 of the item's canonical JSON. */
  digest: string;
  /** The item as listed (kept so `approve` can show what changed). */
  definition: Record<string, unknown>;
  /** Rule ids of blocking scan findings: the item stays hidden. */
  blocked?: string[];
}

/** The pinned surface stored in the lock entry. */
export interface Surface {
  surface_version: 1;
  /** How it was pinned: first run (trust on first use), `aext approve`, or `install --pin-now`. */
  source: 'tofu' | 'approve' | 'install';
  /** ISO 8601 UTC. */
  pinned_at: string;
  /** Kinds whose complete listing has been pinned; a kind not listed yet is pinned on first use. */
  kinds: SurfaceKind[];
  items: Record<SurfaceKind, Record<string, PinnedItem>>;
}

/** Why an item is hidden from the client. */
export type HiddenReason = 'changed' | 'added' | 'blocked' | 'invalid';

/** Digest of one item (hex SHA-256 of its canonical JSON). */
export function itemDigest(item: unknown): string {
  return sha256Hex(canonicalJson(item));
}

/** The identifying key of an item of `kind`, or undefined when it has none. */
export function itemKey(kind: SurfaceKind, item: unknown): string | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const k = (item as Record<string, unknown>)[KIND_INFO[kind].key];
  return typeof k === 'string' && k.length > 0 && k.length <= 1024 ? k : undefined;
}

const strings = (v: unknown, out: string[]): string[] => {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) {
    out.push(k);
    strings(x, out);
  }
  return out;
};

/**
 * Scans the text of one item (every string in it, keys included, one per
 * paragraph) as instructions the model will read.
 * @returns findings with `file` = `mcp/<kind>/<key>`.
 */
export function scanItem(kind: SurfaceKind, key: string, item: unknown): Finding[] {
  const text = strings(item, []).join('\n\n') + '\n';
  return scanOne({ path: `mcp/${kind}/${encodeURIComponent(key)}.md`, data: Buffer.from(text, 'utf8') });
}

/** An empty surface. */
export function emptySurface(source: Surface['source'], now = new Date()): Surface {
  return { surface_version: 1, source, pinned_at: now.toISOString(), kinds: [], items: { tools: {}, prompts: {}, resources: {}, resourceTemplates: {} } };
}

/**
 * Pins one item: digest, definition and blocking rules.
 * @param failOn severity at or above which a finding blocks the item (default high).
 */
export function pinItem(kind: SurfaceKind, key: string, item: Record<string, unknown>, failOn: Severity = 'high'): { pin: PinnedItem; findings: Finding[] } {
  const findings = scanItem(kind, key, item);
  const blocked = [...new Set(findings.filter((f) => severityRank(f.severity) >= severityRank(failOn)).map((f) => f.rule))];
  return { pin: { digest: itemDigest(item), definition: item, ...(blocked.length ? { blocked } : {}) }, findings };
}

/** Outcome of checking one listed item against the pin. */
export interface ItemCheck {
  key: string;
  visible: boolean;
  reason?: HiddenReason;
}

/**
 * Checks a listed item against the pinned surface.
 * @returns visible when pinned with the same digest and not blocked.
 */
export function checkItem(surface: Surface | undefined, kind: SurfaceKind, item: unknown): ItemCheck {
  const key = itemKey(kind, item);
  if (!key) return { key: '', visible: false, reason: 'invalid' };
  const pinned = surface?.items[kind][key];
  if (!pinned) return { key, visible: false, reason: 'added' };
  if (pinned.digest !== itemDigest(item)) return { key, visible: false, reason: 'changed' };
  if (pinned.blocked?.length) return { key, visible: false, reason: 'blocked' };
  return { key, visible: true };
}

/** Differences between a pinned and a live surface, per kind. */
export interface SurfaceDiff {
  added: Array<{ kind: SurfaceKind; key: string }>;
  removed: Array<{ kind: SurfaceKind; key: string }>;
  changed: Array<{ kind: SurfaceKind; key: string; fields: string[] }>;
}

/**
 * Compares two surfaces item by item.
 * @returns what was added, removed and changed (with the top-level fields that differ).
 */
export function diffSurface(pinned: Surface | undefined, live: Surface): SurfaceDiff {
  const d: SurfaceDiff = { added: [], removed: [], changed: [] };
  for (const kind of SURFACE_KINDS) {
    const old = pinned?.items[kind] ?? {};
    const now = live.items[kind];
    for (const [key, item] of Object.entries(now)) {
      const o = old[key];
      if (!o) d.added.push({ kind, key });
      else if (o.digest !== item.digest) {
        const fields = [...new Set([...Object.keys(o.definition), ...Object.keys(item.definition)])].filter((f) => canonicalJson(o.definition[f] ?? null) !== canonicalJson(item.definition[f] ?? null));
        d.changed.push({ kind, key, fields });
      }
    }
    for (const key of Object.keys(old)) if (!now[key]) d.removed.push({ kind, key });
  }
  return d;
}
