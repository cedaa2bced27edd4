/**
 * Names fixed by the `.aext` format (CONTRACT §6), in a module that imports nothing so that
 * packing and validating a source folder need not load the signature code.
 */

/** Zip entry name of the envelope (CONTRACT §6). */
export const ENVELOPE_PATH = 'META-AEXT/index.dsse.json';
/** Reserved directory prefix inside an archive: only aext's own entries live under it. */
export const RESERVED_PREFIX = 'META-AEXT/';
