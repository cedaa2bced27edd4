/** Embedded native binaries, compiled bytecode and nested archives. */
import type { Rule } from '../engine/match.js';

/** Names a host's own loader opens: Node addons, shared libraries (versioned too), Windows binaries, Python bytecode. */
const LOADABLE = /\.(?:node|so(?:\.\d+)*|dylib|bundle|dll|exe|com|scr|sys|pyd|pyc|pyo)$/i;

/** Rule AEXT-BIN-001: embedded binaries and archives. */
export const rule: Rule = {
  id: 'AEXT-BIN-001',
  severity: 'medium',
  category: 'binary',
  description: 'Embedded executable binary (ELF, PE, Mach-O), compiled module (.pyc, .node) or nested archive that cannot be reviewed as text',
  references: ['SkillSpector SC8', 'scanner-anchors.md §c.9, §c.12'],
  applies: ['instructions', 'code', 'config', 'other'],
  check: (f) => {
    const h = f.head;
    const hex = h.subarray(0, 4).toString('hex');
    const magic =
      hex === '7f454c46' ? 'ELF binary' :
      h.subarray(0, 2).toString('latin1') === 'MZ' ? 'PE (Windows) binary' :
      ['feedface', 'feedfacf', 'cefaedfe', 'cffaedfe', 'cafebabe'].includes(hex) ? 'Mach-O binary' :
      /\.(?:pyc|pyo|node|so|dylib|dll|exe)$/i.test(f.path) ? 'compiled module' :
      hex === '504b0304' ? 'nested zip archive' :
      hex.startsWith('1f8b') ? 'nested gzip archive' :
      h.subarray(0, 6).toString('hex') === '377abcaf271c' ? 'nested 7z archive' :
      h.subarray(0, 4).toString('latin1') === 'Rar!' ? 'nested rar archive' :
      hex.startsWith('fd377a58') ? 'nested xz archive' :
      hex.startsWith('425a68') ? 'nested bzip2 archive' :
      hex === '28b52ffd' ? 'nested zstd archive' : undefined;
    if (!magic) return [];
    if (/archive/.test(magic)) return [{ line: 0, column: 0, message: `embedded ${magic}`, evidence: f.path, severity: 'medium' }];
    // Native code cannot be reviewed and runs as the user: high when a host runs or loads it by
    // itself (execute bit, or a name a loader picks up: require() of `.node`, the dynamic linker's
    // `.so`/`.dylib`/`.dll`, Python's `.pyd`, `.pyc`). Otherwise (the Bare runtime's `.bare`
    // prebuilds, a blob named `.dat`) only code that loads it explicitly can run it, and that code
    // is scanned: review, since it is still unvetted. Sources: Node.js `module` docs (.node addons),
    // dlopen(3), PEP 3149.
    const loadable = f.executable === true || LOADABLE.test(f.path) || !/\.[^/.]+$/.test(f.path);
    if (loadable || magic === 'compiled module') return [{ line: 0, column: 0, message: `embedded ${magic}`, evidence: f.path, severity: 'high' }];
    return [{ line: 0, column: 0, message: `embedded ${magic} with no execute bit and a name no loader picks up (inert unless code loads it explicitly; native code aext cannot vet)`, evidence: f.path, severity: 'medium' }];
  },
};
