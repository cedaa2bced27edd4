/** Embedded native binaries (ELF, PE, Mach-O) and compiled Python. */
import type { Rule } from '../rule.js';

/** Rule AEXT-BIN-001: Embedded executable binary (ELF, PE, Mach-O, .pyc) that cannot be reviewed as text. Pure function of one file's text. */
export const rule: Rule = {
  id: 'AEXT-BIN-001',
  severity: 'medium',
  category: 'binary',
  description: 'Embedded executable binary (ELF, PE, Mach-O, .pyc) that cannot be reviewed as text',
  references: ['scanner-anchors.md §c.12'],
  applies: ['instructions', 'code', 'config', 'other'],
  check: (f) => {
    const h = f.head;
    const hex = h.subarray(0, 4).toString('hex');
    const magic =
      hex === '7f454c46' ? 'ELF' :
      h.subarray(0, 2).toString('latin1') === 'MZ' ? 'PE (Windows)' :
      ['feedface', 'feedfacf', 'cefaedfe', 'cffaedfe', 'cafebabe'].includes(hex) ? 'Mach-O' :
      f.path.endsWith('.pyc') || f.path.endsWith('.node') ? 'compiled module' : undefined;
    return magic ? [{ line: 0, column: 0, message: `embedded ${magic} binary`, evidence: f.path }] : [];
  },
};
