/** One-line hints printed under an error, where one helps. */
import type { ErrorCode } from '../index.js';

/** Hints by error code, printed by the CLI under the error line. */
export const ERROR_HINTS: Partial<Record<ErrorCode, string>> = {
  E_UNSIGNED: 'ask the publisher for a signed archive; --allow-unsigned bypasses only the signature check (loudly)',
  E_UNTRUSTED_KEY: 'pass the publisher\'s public key with --pub KEY.pub.pem (check its key id out of band)',
  E_NOT_CONFIRMED: 'review the permissions with `aext inspect`, then re-run on a terminal or with --yes',
  E_KEY_FORMAT: 'aext reads Ed25519 keys made by `aext keygen` or `openssl genpkey -algorithm ed25519`',
  E_SECRET_DETECTED: 'add the file to .aextignore, or pass --allow-secret PATH if it really must ship',
  E_ROOT_LOCKED: 'another aext is installing into this root; retry when it finishes',
  E_SANDBOX_UNAVAILABLE: 'apt-get install bubblewrap (Debian/Ubuntu); --no-sandbox runs the server unconfined, loudly',
  E_ARCHIVE_CHANGED: 'the installed files were changed after install: run `aext audit`, then reinstall the extension',
  E_SCAN_BLOCKED: 'run `aext scan FILE` to see every finding',
};
