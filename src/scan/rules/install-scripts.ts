/** npm lifecycle scripts in bundled package.json files run code at `npm install` time. */
import type { Hit, Rule } from '../engine/match.js';
import { position } from '../engine/match.js';

/** Rule AEXT-CODE-007: preinstall/install/postinstall scripts. */
export const rule: Rule = {
  id: 'AEXT-CODE-007',
  severity: 'medium',
  category: 'code',
  description: 'Bundled package.json declares preinstall/install/postinstall/prepare scripts (run by npm on install)',
  references: ['npm docs: scripts lifecycle', 'MITRE ATT&CK T1195.002'],
  applies: ['config'],
  check: (f) => {
    if (!/(?:^|\/)package\.json$/.test(f.path)) return [];
    const out: Hit[] = [];
    const re = /"(preinstall|install|postinstall|prepare|preuninstall|postuninstall)"\s*:\s*"([^"\n]{0,300})"/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(f.text)) !== null) {
      const { line, column } = position(f.text, m.index);
      // npm runs `prepare` only for git and local-folder installs, never for a registry package
      // installed as a dependency: in a bundled dependency it is information, not a finding.
      const dep = f.path.includes('node_modules/');
      if (m[1] === 'prepare' || m[1]!.endsWith('uninstall')) {
        out.push({ line, column, message: `npm ${m[1]} script (not run when the package is installed from a registry)`, evidence: m[2]!, ...(dep ? { severity: 'info' as const } : {}) });
      } else out.push({ line, column, message: `npm ${m[1]} script runs at install time`, evidence: m[2]! });
    }
    return out;
  },
};
