/**
 * Scanner runner: classifies files, runs every rule, applies the verdict.
 * Sees only content that already passed integrity and hardening checks.
 */
import type { Finding, Permissions, Severity, Verdict } from '../types.js';
import { undeclaredCapabilities } from './capabilities.js';
import { applyBaseline, type Baseline, type Suppressed } from './baseline.js';
import { severityRank } from '../types.js';
import { beginFile, type FileClass, type Rule, type ScanFile } from './engine/match.js';
import { buildViews } from './engine/views.js';
import { isAscii, isUtf8 } from 'node:buffer';
import { looksLikeZip, openNestedZip } from './nested-zip.js';
import type { NestedEntry } from './nested-zip.js';
import { looksLikeGzip, looksLikeTar, openNestedTar, unreadableArchive } from './nested-tar.js';
import { codeOnly, langOf } from './engine/code-text.js';
import { rule as instructionOverride } from './rules/instruction-override.js';
import { rule as concealment } from './rules/concealment.js';
import { rule as coercion } from './rules/coercion.js';
import { rule as remoteInstructions } from './rules/remote-instructions.js';
import { rule as downloadExec } from './rules/download-exec.js';
import { rule as reverseShell } from './rules/reverse-shell.js';
import { rule as destructive } from './rules/destructive.js';
import { rule as persistence } from './rules/persistence.js';
import { rule as privilege } from './rules/privilege.js';
import { rule as credentialAccess } from './rules/credential-access.js';
import { rule as exfiltration } from './rules/exfiltration.js';
import { rule as evalDecoded } from './rules/eval-decoded.js';
import { rule as obfuscation } from './rules/obfuscation.js';
import { rule as hiddenUnicode } from './rules/hidden-unicode.js';
import { rule as homoglyph } from './rules/homoglyph.js';
import { rule as hiddenMarkup } from './rules/hidden-markup.js';
import { rule as dynamicContext } from './rules/dynamic-context.js';
import { rule as secrets } from './rules/secrets.js';
import { rule as embeddedBinary } from './rules/embedded-binary.js';
import { rule as installScripts } from './rules/install-scripts.js';
import { rule as nativeLoading } from './rules/native-loading.js';
import { rule as launchConfig } from './rules/launch-config.js';

/** Strict UTF-8 decoder (reused). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Every rule, in report order. */
export const RULES: readonly Rule[] = [
  instructionOverride, concealment, coercion, remoteInstructions, downloadExec, reverseShell, destructive, persistence, privilege, credentialAccess, exfiltration, evalDecoded, obfuscation, hiddenUnicode, homoglyph, hiddenMarkup, dynamicContext, secrets, embeddedBinary, nativeLoading, installScripts, launchConfig,
];

/** The rule catalogue ({@link RULES}), as a function so the public API can load it on demand. */
export function listRules(): readonly Rule[] {
  return RULES;
}

/** Result of scanning one package. */
export interface ScanResult {
  findings: Finding[];
  verdict: Verdict;
  /** Severity at or above which the verdict is `block`. */
  failOn: Severity;
  /** Files scanned and bytes read. */
  stats: { files: number; bytes: number };
  /** Findings suppressed by the operator's baseline, with reasons (never from the archive). */
  suppressed: Suppressed[];
}

/** Input file for {@link scanFiles}: path and raw bytes. */
export interface ScanInput {
  path: string;
  data: Buffer;
  /** The file carries the execute bit (INDEX `executable`, or the mode on disk): a host can run it by itself. */
  executable?: boolean;
}

const CODE_EXT = /\.(?:sh|bash|zsh|ps1|psm1|bat|cmd|py|js|mjs|cjs|ts|rb|pl|php)$/i;

/** Classifies a package path for rule selection. */
export function classify(p: string): FileClass {
  if (p === 'aext.json' || p.endsWith('.json') || p.endsWith('.yaml') || p.endsWith('.yml') || p.endsWith('.toml')) return 'config';
  if (/\.(?:md|markdown|mdx|txt)$/i.test(p)) return 'instructions';
  if (CODE_EXT.test(p) || p.startsWith('scripts/') || p.includes('/scripts/') || p.startsWith('bin/')) return 'code';
  return 'other';
}

/**
 * The class a file is scanned as: by name, and for a UTF-8 file whose name says nothing, by
 * content (`#!` → code, other text → instructions; the scanner also runs the code rules on it).
 */
export function classifyContent(p: string, text: string): FileClass {
  const named = classify(p);
  return named === 'other' ? (text.startsWith('#!') ? 'code' : 'instructions') : named;
}

/** Verdict for a set of findings (issue 4): block at/above `failOn`, review at medium, else pass. */
export function verdictOf(findings: readonly Finding[], failOn: Severity): Verdict {
  if (findings.some((f) => severityRank(f.severity) >= severityRank(failOn))) return 'block';
  if (findings.some((f) => severityRank(f.severity) >= severityRank('medium'))) return 'review';
  return 'pass';
}

/**
 * Scans one file with every rule that applies to its class, and (when the manifest's
 * `permissions` are given) reports capabilities the manifest does not declare.
 * @param f path and bytes. @param perms aext.json permissions. @returns findings (unsorted).
 */
export function scanOne(f: ScanInput, perms?: Permissions, depth = 0, dependency = isDependencyPath(f.path)): Finding[] {
  const findings = scanText(f, perms, dependency);
  if (looksLikeZip(f.data)) findings.push(...scanNested(f, perms, depth, findings, () => openNestedZip(f.data)));
  else if (looksLikeGzip(f.data) || looksLikeTar(f.data)) findings.push(...scanNested(f, perms, depth, findings, () => openNestedTar(f.data, f.path)));
  else {
    const other = unreadableArchive(f.data);
    if (other) findings.push(...scanNested(f, perms, depth, findings, () => ({ error: `${other} data cannot be opened by aext` })));
  }
  return findings;
}

/**
 * True when a file's first bytes say it is an archive or compressed data the scanner opens or
 * must report as unvetted: a zip local header, gzip, ustar tar, xz, bzip2, zstd, 7z or rar.
 * @param head at least the first 512 bytes (fewer for a shorter file).
 */
export function looksLikeArchive(head: Uint8Array): boolean {
  return (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) || looksLikeGzip(head) || looksLikeTar(head) || unreadableArchive(head) !== undefined;
}

/** Message prefix of a nested archive that could not be opened (unvetted content). */
const UNVETTED_NESTED = 'nested archive that cannot be vetted';

/** Nested archives opened inside one another before the scanner stops and reports the innermost as unvetted. */
export const MAX_NESTING = 3;

/** What a nested-archive opener returns: the entries (and what was opened), or why it cannot be vetted. */
type Opened = { entries: NestedEntry[]; prefixBytes?: number; kind?: string } | { error: string };

/**
 * Scans what a nested archive holds (zip, tar, gzip), each entry as `outer!/inner` with every
 * rule and the capability check. The outer file's AEXT-BIN-001 finding becomes `info` when
 * every entry was read and scanned; an archive that cannot be read unambiguously, is in a
 * format aext does not open (xz, bzip2, zstd, 7z, rar), or nests too deep, is unvetted
 * (made `high` by {@link failClosed}), and a zip appended to a script (zipapp) is reported as such.
 */
function scanNested(f: ScanInput, perms: Permissions | undefined, depth: number, outer: Finding[], open: () => Opened): Finding[] {
  const extra: Finding[] = [];
  const bin = outer.find((x) => x.rule === 'AEXT-BIN-001' && x.file === f.path && /archive/.test(x.message));
  const opened: Opened = depth < MAX_NESTING ? open() : { error: `nested more than ${MAX_NESTING} archives deep` };
  if ('error' in opened) {
    const msg = `${UNVETTED_NESTED}: ${opened.error}`;
    if (bin) Object.assign(bin, { severity: 'medium', message: msg });
    else extra.push({ rule: 'AEXT-BIN-001', severity: 'medium', file: f.path, line: 0, column: 0, message: msg, evidence: f.path });
    return extra;
  }
  const msg = `${opened.prefixBytes ? `zip archive appended to ${opened.prefixBytes} bytes of script (zipapp)` : `nested ${opened.kind ?? 'zip archive'}`}: ${opened.entries.length} entries, each scanned`;
  if (bin) Object.assign(bin, { severity: 'info', message: msg });
  else extra.push({ rule: 'AEXT-BIN-001', severity: opened.prefixBytes ? 'medium' : 'info', file: f.path, line: 0, column: 0, message: msg, evidence: f.path });
  for (const e of opened.entries) extra.push(...scanOne({ path: `${f.path}!/${e.name}`, data: e.data }, perms, depth + 1, isDependencyPath(f.path)));
  return extra;
}

/**
 * Rule categories that concern what the model reads. In a dependency folder's file that the
 * package does not name as a component, the host never shows the text to the model, so such
 * findings are reported at `low` (seen, not blocking). In a dependency's non-code files (docs,
 * type declarations' prose, data) the code-facing categories are capped the same way: they
 * neither run nor reach the model. Code that runs keeps every severity.
 */
const MODEL_FACING = new Set(['hidden-content', 'instructions']);
const TEXT_FACING = new Set(['hidden-content', 'instructions', 'exfiltration', 'credentials', 'secrets']);
const CATEGORY = new Map<string, string>();
/** Rules that keep their severity in a dependency's non-code files (they read package.json's meaning, not prose). */
const KEEP_IN_DEPENDENCY_DATA = new Set(['AEXT-CODE-007']);

function calibrateDependency(fs: Finding[], cls: FileClass): Finding[] {
  if (!CATEGORY.size) for (const r of RULES) CATEGORY.set(r.id, r.category);
  const capped = cls === 'code' ? MODEL_FACING : TEXT_FACING;
  // An npm lifecycle script is a shell command inside package.json: what a rule finds on its line is
  // code, whatever the file's class (`"postinstall": "curl … | sh"` in a bundled package).
  const scriptLines = new Set(fs.filter((f) => f.rule === 'AEXT-CODE-007').map((f) => f.line));
  return fs.map((f) => {
    if (scriptLines.has(f.line) && f.rule !== 'AEXT-CODE-007') return f;
    const cat = CATEGORY.get(f.rule);
    // The cloud metadata address in a library (URL parsers, IP tables, their tests) is data; at run time the
    // sandbox's network proxy refuses link-local addresses whatever the code does (util/host-allowlist.ts).
    const metadata = cat === 'exfiltration' && f.evidence === '169.254.169.254';
    // Shell start-up files named in a library (yargs prints `… >> ~/.bashrc` completion instructions): under `aext run`
    // and `aext exec` the extension's HOME is its own data directory, so such a write cannot reach the user's shell.
    // Still a review finding, confirmed at install and recorded in the lock; the package's own code keeps `high`.
    if (f.rule === 'AEXT-CODE-004' && cls === 'code' && /~\/\.(?:bashrc|zshrc|profile|bash_profile|zprofile|zshenv)\b/.test(f.evidence) && severityRank(f.severity) > severityRank('medium')) {
      return { ...f, severity: 'medium', message: `${f.message} (in a dependency: the sandbox gives the extension its own HOME)` };
    }
    // A dependency's non-code file (README, docs, source maps, data) is neither run nor shown to the model: a
    // `curl … | sh` in dotenv's README is documentation. Only what still matters there keeps its severity:
    // binaries (a native addon is loaded whatever its name) and npm lifecycle scripts (AEXT-CODE-007).
    const docOnly = cls !== 'code' && cat !== 'binary' && !KEEP_IN_DEPENDENCY_DATA.has(f.rule);
    if (!cat || (!capped.has(cat) && !metadata && !docOnly) || severityRank(f.severity) <= severityRank('low')) return f;
    return { ...f, severity: 'low', message: `${f.message} (in a dependency file that the host does not show the model${cls === 'code' ? '' : ' or run'})` };
  });
}

/**
 * Every rule (and the capability check) on one file's own bytes. Dependency code is scanned
 * with its comments blanked: the interpreter ignores them, and the model never reads them.
 */
function scanText(f: ScanInput, perms: Permissions | undefined, dependency: boolean): Finding[] {
  const findings: Finding[] = [];
  // AppleDouble metadata (`__MACOSX/._x`, magic 0x00051607; RFC 1740) is binary whatever its name says.
  const appleDouble = f.data.length >= 4 && f.data.readUInt32BE(0) === 0x00051607;
  const named = appleDouble ? 'other' : classify(f.path);
  let cls: FileClass = named;
  let text: string;
  // A UTF-8 file whose name says nothing (`.dat`, `.html`, `.xml`, no extension) is classified by
  // content: a `#!` line makes code; any other text gets the instruction and code rules both
  // (issue 10, class 1: a payload saved as `.dat` got almost no rules).
  let byContent = false;
  try {
    // Validated first (simdutf, no allocation): a fatal decode of invalid bytes would first build a
    // UTF-16 buffer of twice the file's size (16 MB for an 8 MB blob) and then throw.
    if (!isUtf8(f.data)) throw new TypeError('not UTF-8');
    text = UTF8.decode(f.data);
    if (named === 'other' && !appleDouble) {
      byContent = true;
      cls = text.startsWith('#!') ? 'code' : 'instructions';
    }
  } catch {
    if (named === 'other') {
      // Opaque binary data: only byte-level rules apply (text rules would match noise).
      return RULES.filter((r) => r.category === 'binary').flatMap((r) =>
        r.check({ path: f.path, text: '', cls, head: f.data.subarray(0, 16), frontmatterEnd: 0, ascii: false, views: [], executable: f.executable === true }).map((hit) => ({ rule: r.id, severity: hit.severity ?? r.severity, file: f.path, line: hit.line, column: hit.column, message: hit.message, evidence: hit.evidence })),
      );
    }
    // A text file (by name) that is not valid UTF-8 is still scanned, lossily, and reported.
    text = f.data.toString('utf8');
    findings.push({ rule: 'AEXT-TEXT-001', severity: 'medium', file: f.path, line: 0, column: 0, message: 'text file is not valid UTF-8 (scanned lossily)', evidence: '' });
  }
  let fmEnd = 0;
  if (/^(?:\ufeff)?---\r?\n/.test(text)) {
    const close = /\r?\n---[ \t]*(?:\r?\n|$)/.exec(text.slice(3));
    if (close) fmEnd = 3 + close.index;
  }
  if (dependency && cls === 'code') text = codeOnly(langOf(f.path, text), text).code;
  beginFile(text);
  const ascii = isAscii(f.data) && !dependency;
  const sf: ScanFile = { path: f.path, text, cls, head: f.data.subarray(0, 16), frontmatterEnd: fmEnd, ascii, views: buildViews(text, ascii ? f.data : undefined), executable: f.executable === true };
  for (const r of RULES) {
    if (!r.applies.includes(sf.cls) && !(byContent && (r.applies.includes('code') || r.applies.includes('instructions')))) continue;
    for (const hit of r.check(sf)) {
      findings.push({ rule: r.id, severity: hit.severity ?? r.severity, file: f.path, line: hit.line, column: hit.column, message: hit.message, evidence: hit.evidence });
    }
  }
  if (perms) findings.push(...undeclaredCapabilities(f.path, text, cls, perms));
  return dependency ? calibrateDependency(findings, cls) : findings;
}

/**
 * The finding for content aext could not vet (issue 10, class 6: unscanned is never a pass):
 * `high`, so it blocks at the default `fail_on`, or `medium` (review) where the operator's
 * policy allows the path by name (`scan.allow_unvetted`). Paths inside nested archives
 * (`outer!/inner`) are allowed by their outer file's name.
 */
export function unvettedFinding(rule: string, p: string, message: string, evidenceText: string, allow?: (p: string) => boolean): Finding {
  const allowed = allow?.(p.split('!/')[0]!) ?? false;
  return { rule, severity: allowed ? 'medium' : 'high', file: p, line: 0, column: 0, message: `${message}${allowed ? ' (allowed unvetted by policy scan.allow_unvetted)' : ''}`, evidence: evidenceText };
}

/** Findings with every nested archive that could not be opened made unvetted content ({@link unvettedFinding}). */
export function failClosed(fs: Finding[], allow?: (p: string) => boolean): Finding[] {
  return fs.map((f) => {
    if (f.rule !== 'AEXT-BIN-001') return f;
    if (f.message.startsWith(UNVETTED_NESTED)) return unvettedFinding(f.rule, f.file, f.message, f.evidence, allow);
    // An executable or compiled module is content aext cannot read either: high, unless the policy allows the path
    // by name (`scan.allow_unvetted`, e.g. a dependency's prebuilds), which makes it review.
    if (f.severity === 'high' && allow?.(f.file.split('!/')[0]!)) return unvettedFinding(f.rule, f.file, `${f.message} (native code aext cannot vet)`, f.evidence, allow);
    return f;
  });
}

/**
 * The scanner's byte caps for one package (issue 4: every file and the whole package have
 * byte caps; going over one is itself a finding, never a silent pass, and since issue 10 a
 * blocking one: {@link unvettedFinding}). Files are admitted in the order they are offered
 * (archive / INDEX order: sorted paths, so deterministic).
 */
export class ScanBudget {
  /** Bytes admitted so far. */
  used = 0;
  /**
   * @param maxFileBytes per-file cap (bytes). @param maxTotalBytes per-package cap (bytes).
   * @param allow policy `scan.allow_unvetted` as a predicate on paths.
   */
  constructor(readonly maxFileBytes: number, readonly maxTotalBytes: number = Infinity, readonly allow?: (p: string) => boolean) {}
  /** The AEXT-LIMIT-001 finding for a file over the per-file cap (not to be read), else undefined. */
  oversize(p: string, size: number): Finding | undefined {
    return size > this.maxFileBytes ? unvettedFinding('AEXT-LIMIT-001', p, `file larger than the scan cap of ${this.maxFileBytes} bytes could not be vetted`, `${size} bytes`, this.allow) : undefined;
  }
  /**
   * Admits a file's bytes for scanning and charges them to the package cap, or returns the
   * AEXT-LIMIT-002 finding once the cap is spent. Opaque binaries (not text by name, not
   * UTF-8) are admitted free: only byte rules read them (a few header bytes).
   */
  admit(p: string, data: Uint8Array): Finding | undefined {
    return this.admitSized(p, data.length, isOpaque(p, data));
  }
  /**
   * {@link ScanBudget.admit} for a file known by its size (bytes) and whether it is opaque (not
   * text by name, not UTF-8: admitted free).
   */
  admitSized(p: string, size: number, opaque: boolean): Finding | undefined {
    if (opaque) return undefined;
    if (this.used + size > this.maxTotalBytes) return unvettedFinding('AEXT-LIMIT-002', p, `the package's scan budget of ${this.maxTotalBytes} bytes is spent: file could not be vetted`, `${size} bytes`, this.allow);
    this.used += size;
    return undefined;
  }
}

/** Opaque content: not text by name and not UTF-8 (only byte rules read it; the scan budget admits it free). */
export function isOpaque(p: string, data: Uint8Array): boolean {
  return classify(p) === 'other' && !isUtf8(data);
}

/** Sorts findings (most severe first) and computes the verdict. */
export function finishScan(all: Finding[], failOn: Severity, stats: { files: number; bytes: number }, baseline?: Baseline): ScanResult {
  const { findings, suppressed } = applyBaseline(all, baseline);
  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.file.localeCompare(b.file) || a.line - b.line);
  return { findings, verdict: verdictOf(findings, failOn), failOn, stats, suppressed };
}

/**
 * Dependency trees (`node_modules/`): scanned with every rule; the capability check covers
 * them only where the package names a file there as a component (scan/session.ts).
 */
export const isDependencyPath = (p: string): boolean => DEPENDENCY_DIR.test(p);
/**
 * Folders that hold other projects' code as their authors ship it: npm's `node_modules/`, Python's
 * `site-packages/` and `dist-packages/` (a shipped venv), and vendored trees (`third_party/`, `vendor/`:
 * chrome-devtools-mcp bundles Lighthouse there). Matched as whole path segments, at any depth.
 */
const DEPENDENCY_DIR = /(?:^|\/)(?:node_modules|site-packages|dist-packages|third_party|vendor)\//;

/**
 * Scans in-memory files with every rule.
 * @param files package files (bytes). @param failOn blocking severity (default `high`).
 * @param maxFileBytes files over this cap are not read and yield a `medium` finding.
 * @param maxTotalBytes once this many bytes were scanned, further files yield a `medium` finding.
 */
export function scanFiles(files: readonly ScanInput[], failOn: Severity = 'high', maxFileBytes = 512 * 1024 * 1024, perms?: Permissions, baseline?: Baseline, maxTotalBytes = Infinity): ScanResult {
  const findings: Finding[] = [];
  const budget = new ScanBudget(maxFileBytes, maxTotalBytes);
  let bytes = 0;
  for (const f of files) {
    bytes += f.data.length;
    const over = budget.oversize(f.path, f.data.length) ?? budget.admit(f.path, f.data);
    if (over) findings.push(over);
    else findings.push(...failClosed(scanOne(f, isDependencyPath(f.path) ? undefined : perms)));
  }
  return finishScan(findings, failOn, { files: files.length, bytes }, baseline);
}
