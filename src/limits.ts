/**
 * Default archive and parsing limits. Every limit is applied twice: on the
 * declared values (central directory, INDEX) before any data is read, and on
 * the actual bytes while streaming. A policy file may override each one
 * (`limits` in the policy schema). Figures follow the reference tools listed
 * in ../shared/research/archive-hardening.md §2.6 and §7.
 */

/** Archive and parser limits; all sizes in bytes. */
export interface Limits {
  /** Size of the `.aext` file itself (bytes). Cheap first gate. */
  maxArchiveBytes: number;
  /**
   * Number of zip entries: an npm MCP server with its production dependencies has 20,000+ files
   * (issue 9). Past 65,535 the count lives in a zip64 end record (APPNOTE §4.3.14), which aext
   * writes and reads in one strict shape (`archive/zip-layout.ts`); per-entry zip64 (4 GiB) is refused.
   */
  maxEntries: number;
  /** Size of the central directory (bytes); bounds phase-1 memory. */
  maxCentralDirectoryBytes: number;
  /** Uncompressed size of one entry (bytes). */
  maxEntryBytes: number;
  /** Sum of uncompressed sizes (bytes). */
  maxTotalBytes: number;
  /** Per-entry uncompressed:compressed ratio, applied above {@link Limits.ratioGraceBytes}. DEFLATE cannot exceed ~1032:1 (Fifield). */
  maxEntryRatio: number;
  /** Whole-archive uncompressed:compressed ratio, above the grace size. */
  maxTotalRatio: number;
  /** Entries smaller than this (bytes) are exempt from ratio limits. */
  ratioGraceBytes: number;
  /** Bytes of a full entry path (UTF-8). */
  maxPathBytes: number;
  /** Bytes of one path segment (UTF-8); NAME_MAX on Linux. */
  maxSegmentBytes: number;
  /** Number of path segments. */
  maxDepth: number;
  /** Size of META-AEXT/index.dsse.json (bytes). */
  maxEnvelopeBytes: number;
  /** Number of signatures in the envelope. */
  maxSignatures: number;
  /** Size of aext.json (bytes). */
  maxManifestBytes: number;
  /** Size of a SKILL.md frontmatter block (bytes). */
  maxFrontmatterBytes: number;
  /** Bytes of one file the scanner reads (large files in streamed windows); a larger file is unvetted, a blocking finding. */
  maxScanFileBytes: number;
  /** Bytes the scanner reads for one package in all; files past it are unvetted, each a blocking finding. */
  maxScanTotalBytes: number;
  /** Wall-clock budget of one package's scan (ms); files left when it is spent are unvetted, each a blocking finding. */
  maxScanMillis: number;
  /** Longest MCP message (one stdio line) the run-time proxy accepts, bytes; a longer one ends the session. */
  maxMcpMessageBytes: number;
}

/** Frozen defaults; see each field for the unit and the reason. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxArchiveBytes: 2 * 1024 ** 3,
  maxEntries: 150_000,
  maxCentralDirectoryBytes: 32 * 1024 ** 2,
  maxEntryBytes: 512 * 1024 ** 2,
  maxTotalBytes: 2 * 1024 ** 3,
  maxEntryRatio: 200,
  maxTotalRatio: 100,
  ratioGraceBytes: 1024 ** 2,
  maxPathBytes: 1024,
  maxSegmentBytes: 255,
  maxDepth: 32,
  // 100,000 INDEX entries of ~130 bytes each, base64 in the envelope.
  maxEnvelopeBytes: 32 * 1024 ** 2,
  maxSignatures: 16,
  maxManifestBytes: 256 * 1024,
  maxFrontmatterBytes: 64 * 1024,
  // Everything an archive may hold is scanned by default (maxEntryBytes, maxTotalBytes); policy may lower these.
  maxScanFileBytes: 512 * 1024 ** 2,
  maxScanTotalBytes: 2 * 1024 ** 3,
  maxScanMillis: 600_000,
  // The MCP TypeScript SDK's stdio reader allows 10 MiB; screenshots as base64 image content can exceed it.
  maxMcpMessageBytes: 32 * 1024 ** 2,
});

/** Merges a partial override (e.g. from a policy) onto the defaults. */
export function resolveLimits(override?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...(override ?? {}) };
}
