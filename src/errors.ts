/**
 * The one error type of aext and its code registry.
 *
 * Every failure the library reports is an {@link AextError} with a stable
 * `E_UPPER_SNAKE` code. Each code maps to one exit class of CONTRACT §3:
 * 1 operational, 2 usage, 3 verification, 4 unsafe archive, 5 policy, 6 scan.
 * This module imports nothing so that every other module may depend on it.
 */

/** Exit classes of CONTRACT §3. */
export const EXIT = {
  OK: 0,
  OPERATIONAL: 1,
  USAGE: 2,
  VERIFY: 3,
  UNSAFE: 4,
  POLICY: 5,
  SCAN: 6,
} as const;

/** One of the exit codes in {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

interface CodeInfo {
  readonly exit: ExitCode;
  readonly summary: string;
}

/**
 * Registry of every error code: its exit class and a one-line summary.
 * The README's error table is generated from (and tested against) this object.
 */
export const ERROR_CODES = {
  // --- operational (1)
  E_INTERNAL: { exit: 1, summary: 'unexpected internal error (a bug); AEXT_DEBUG=1 shows the stack' },
  E_IO: { exit: 1, summary: 'file-system or I/O error (the cause is attached)' },
  E_ROOT_LOCKED: { exit: 1, summary: 'another aext process holds the install-root lock' },
  E_NO_SPACE: { exit: 1, summary: 'out of disk space or permission denied while writing; nothing was changed' },
  E_SERVER_START: { exit: 1, summary: 'the installed MCP server did not start or answer the handshake' },
  E_ROOT_UNSAFE: { exit: 1, summary: 'the install root, or one of aext\'s folders in it, is writable by others, owned by someone else, or a planted symlink' },
  E_SANDBOX_UNAVAILABLE: { exit: 1, summary: 'bubblewrap is missing or the kernel refused the namespaces the sandbox needs (install the Debian package bubblewrap)' },
  E_MCP_PROTOCOL: { exit: 1, summary: 'the MCP session was ended: a line was not JSON-RPC 2.0, not UTF-8, or over the size cap (fail closed)' },
  // --- usage (2)
  E_USAGE: { exit: 2, summary: 'bad command-line flags or arguments' },
  E_NOT_FOUND: { exit: 2, summary: 'a file or directory named on the command line does not exist' },
  E_EXISTS: { exit: 2, summary: 'refusing to overwrite an existing file' },
  E_KEY_FORMAT: { exit: 2, summary: 'key file is not a single unencrypted Ed25519 PKCS#8 / SPKI PEM block' },
  E_MANIFEST_INVALID: { exit: 2, summary: 'aext.json fails the v1 schema or a cross-field rule' },
  E_HOST_CONFIG_INVALID: { exit: 2, summary: 'a host client\'s config file is not valid JSON/JSONC of the expected shape; it was left as it was' },
  E_FRONTMATTER_INVALID: { exit: 2, summary: 'SKILL.md frontmatter is missing, unclosed, too large or breaks the Agent Skills rules' },
  E_LAYOUT_INVALID: { exit: 2, summary: 'a path the manifest names is missing, or the extension layout is wrong for its kind' },
  E_KEY_UNKNOWN: { exit: 2, summary: 'no such key id in the trust store' },
  E_NOT_INSTALLED: { exit: 2, summary: 'no such extension in the lockfile' },
  E_CONFIG_INVALID: { exit: 2, summary: 'a user_config value (--config KEY=VALUE, the prompt, or the stored config file) has the wrong type or names an undeclared key' },
  E_CONFIG_REQUIRED: { exit: 2, summary: 'a required user_config value was not given (use --config KEY=VALUE, or answer the prompt on a TTY)' },

  // --- verification (3)
  E_UNSIGNED: { exit: 3, summary: 'the archive carries no signature (META-AEXT/index.dsse.json missing or has no signatures)' },
  E_ENVELOPE_MISSING: { exit: 3, summary: 'META-AEXT/index.dsse.json is missing: the archive has no signed INDEX' },
  E_SIG_INVALID: { exit: 3, summary: 'a signature by a given key does not verify (bad, malleated or truncated)' },
  E_UNTRUSTED_KEY: { exit: 3, summary: 'no signature was made by a trusted key' },
  E_KEY_WEAK: { exit: 3, summary: 'public key is small-order or non-canonical' },
  E_ENVELOPE_INVALID: { exit: 3, summary: 'the DSSE envelope is malformed (JSON, base64, fields, size)' },
  E_PAYLOAD_TYPE: { exit: 3, summary: 'the DSSE payloadType is not application/vnd.aext.index+json' },
  E_INDEX_INVALID: { exit: 3, summary: 'the signed INDEX is malformed (JSON, duplicate keys, fields, unsorted or duplicate paths)' },
  E_MANIFEST_MISMATCH: { exit: 3, summary: 'aext.json differs from the signed INDEX (content, or publisher/name/version)' },
  E_ENTRY_UNLISTED: { exit: 3, summary: 'a zip entry is not listed in the signed INDEX' },
  E_ENTRY_MISSING: { exit: 3, summary: 'a file listed in the signed INDEX is not in the archive' },
  E_DIGEST_MISMATCH: { exit: 3, summary: 'an entry\'s sha256 differs from the signed INDEX' },
  E_SIZE_MISMATCH: { exit: 3, summary: 'an entry\'s size differs from the signed INDEX' },
  E_LOCK_INTEGRITY: { exit: 3, summary: 'aext-lock.json is malformed or an entry fails its integrity digest (edited by hand?)' },
  E_KEY_NOT_AUTHORIZED: { exit: 3, summary: 'the signing key is trusted, but not for this publisher/name (outside its scope)' },
  E_KEY_EXPIRED: { exit: 3, summary: 'the signing key is past its not_after date in the trust store or policy' },
  E_THRESHOLD: { exit: 3, summary: 'fewer distinct trusted keys signed than the policy threshold requires' },
  E_ROTATION_INVALID: { exit: 3, summary: 'a key-rotation statement is malformed or not signed by both the old and the new key' },
  E_KEY_REVOKED: { exit: 3, summary: 'the archive is signed by a key on the revocation list' },
  E_ROLLBACK: { exit: 3, summary: 'a revocation list older than the stored one was presented (rollback)' },
  E_REVOCATIONS_CONFLICT: { exit: 3, summary: 'a revocation list with the stored version but different content was presented' },
  E_AUDIT_FAILED: { exit: 3, summary: 'audit found lock entries, installed files or signers that fail their checks' },
  E_ARCHIVE_CHANGED: { exit: 3, summary: 'installed files differ from the signed index recorded at install' },
  // --- unsafe archive (4)
  E_PATH_TRAVERSAL: { exit: 4, summary: 'entry name escapes the target (.., absolute, drive letter, UNC) — ZipSlip' },
  E_PATH_INVALID: { exit: 4, summary: 'entry name breaks the portable-name rules (backslash, control char, reserved name, empty or dot segment, length, depth)' },
  E_PATH_COLLISION: { exit: 4, summary: 'two entries collide after NFC/case folding, or a name is both file and directory' },
  E_DUPLICATE_ENTRY: { exit: 4, summary: 'the same entry name appears twice (CVE-2013-4787)' },
  E_ENTRY_TYPE: { exit: 4, summary: 'entry is a symlink, hardlink, device, FIFO or other non-regular file' },
  E_UNSAFE_MODE: { exit: 4, summary: 'entry carries setuid, setgid or sticky bits' },
  E_RESERVED_ENTRY: { exit: 4, summary: 'entry under META-AEXT/ other than the envelope' },
  E_ARCHIVE_REWRITTEN: { exit: 4, summary: 'the archive file was written to while aext was reading it (its digest would not name the verified bytes)' },
  E_ZIP_MALFORMED: { exit: 4, summary: 'zip structure is malformed, ambiguous or non-canonical (EOCD, central directory, local headers, overlaps, truncation)' },
  E_ZIP_UNSUPPORTED: { exit: 4, summary: 'encryption, per-entry zip64 (past 4 GiB), multi-disk, or a compression method other than stored/deflate' },
  E_CRC_MISMATCH: { exit: 4, summary: 'entry data does not match its CRC-32' },
  E_LIMIT_EXCEEDED: { exit: 4, summary: 'an archive limit was exceeded (entries, sizes, ratio, path length, depth, envelope size)' },
  E_SOURCE_UNSAFE: { exit: 4, summary: 'pack source holds a link outside the source, a special file or a bad tar entry' },
  // --- policy (5)
  E_KEY_CHANGED: { exit: 5, summary: 'an update is signed by a key other than the pinned one, with no valid rotation chain' },
  E_DOWNGRADE: { exit: 5, summary: 'the archive\'s version is lower than the installed one (use --allow-downgrade)' },
  E_VERSION_REUSED: { exit: 5, summary: 'the installed version already exists with different content (versions are immutable)' },
  E_QUARANTINED: { exit: 5, summary: 'publisher/name@version is quarantined by the revocation list' },
  E_REVOCATIONS_STALE: { exit: 5, summary: 'the revocation list is missing or expired (and no grace period applies)' },
  E_POLICY_INVALID: { exit: 5, summary: 'policy file unreadable or fails its schema: fail closed, install denied' },
  E_NOT_CONFIRMED: { exit: 5, summary: 'requested permissions were not confirmed (no TTY and no --yes)' },
  E_POLICY_DENIED: { exit: 5, summary: 'the install policy denies this extension (reasons listed)' },
  E_UNSIGNED_FORBIDDEN: { exit: 5, summary: '--allow-unsigned is forbidden by policy' },
  E_SANDBOX_FORBIDDEN: { exit: 5, summary: 'the policy forbids running without the sandbox (--no-sandbox)' },
  E_ENV_FORBIDDEN: { exit: 5, summary: 'mcp_config or permissions name an environment variable that changes what the runtime loads (NODE_OPTIONS, LD_PRELOAD, PYTHONPATH, …) or one aext sets itself' },
  E_PERMISSION_NOT_GRANTED: { exit: 5, summary: 'the command needs a permission the extension was not granted (e.g. a shell without permissions.shell)' },
  E_SECRET_DETECTED: { exit: 5, summary: 'pack refused to include a private key or secret (allow one exact file with --allow-secret)' },
  // --- scan (6)
  E_REVIEW_DENIED: { exit: 6, summary: "the scan verdict is review and the policy's scan.review is deny (CI)" },
  E_SCAN_BLOCKED: { exit: 6, summary: 'scan findings at or above the blocking severity' },
} as const satisfies Record<string, CodeInfo>;

/** A stable error code string, e.g. `"E_PATH_TRAVERSAL"`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Evidence attached to an error: which file, which entry, expected vs found. */
export interface ErrorDetails {
  /** The file (archive, directory, key) the error is about. */
  file?: string;
  /** The entry inside an archive, exactly as named there. */
  entry?: string;
  /** Any further evidence (limit name and value, expected/actual digests, reasons). */
  [key: string]: unknown;
}

/**
 * The single error type thrown by aext.
 * @param code stable code from {@link ERROR_CODES}; decides the exit code.
 * @param message one human sentence; never contains a stack trace.
 * @param details evidence (`file`, `entry`, limits, digests).
 * @param cause the foreign error (fs, zlib) this wraps, if any.
 */
export class AextError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AextError';
    this.code = code;
    this.details = details;
  }

  /** Exit code of CONTRACT §3 for this error. */
  get exitCode(): ExitCode {
    return ERROR_CODES[this.code].exit;
  }
}

/** True when `e` is an AextError (optionally with the given code). */
export function isAextError(e: unknown, code?: ErrorCode): e is AextError {
  return e instanceof AextError && (code === undefined || e.code === code);
}

/**
 * Turns any thrown value into an AextError. Node fs errors become E_IO
 * (ENOSPC/EACCES/EROFS/EDQUOT become E_NO_SPACE), everything else E_INTERNAL.
 * @param e the thrown value.
 * @param details evidence to attach when wrapping.
 */
export function toAextError(e: unknown, details: ErrorDetails = {}): AextError {
  if (e instanceof AextError) return e;
  const errno = (e as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
    const full = ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS'].includes(errno);
    if (errno === 'ENOENT') {
      return new AextError('E_NOT_FOUND', `${(e as Error).message}`, details, { cause: e });
    }
    return new AextError(full ? 'E_NO_SPACE' : 'E_IO', `${errno}: ${(e as Error).message}`, details, { cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new AextError('E_INTERNAL', `internal error (this is a bug): ${msg}`, details, { cause: e });
}
