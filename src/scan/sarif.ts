/**
 * SARIF 2.1.0 output (OASIS SARIF v2.1.0, errata 01), shaped for GitHub code
 * scanning: one run, tool.driver.rules from the rule registry, one result per
 * finding with a physicalLocation (1-based region; files without a line get
 * no region).
 */
import type { Finding, Severity } from '../types.js';
import { RULES } from './index.js';
import { CAPABILITY_RULES } from './capabilities.js';

const LEVEL: Record<Severity, 'none' | 'note' | 'warning' | 'error'> = { info: 'note', low: 'note', medium: 'warning', high: 'error', critical: 'error' };
const SCORE: Record<Severity, string> = { info: '0.0', low: '3.0', medium: '5.0', high: '8.0', critical: '9.5' };

/** Builds a SARIF log for findings of one or more artifacts. `base` prefixes each file URI (e.g. the archive name). */
export function toSarif(results: Array<{ base?: string; findings: readonly Finding[] }>, version: string): object {
  const extraRules = new Map<string, Severity>();
  for (const r of results) for (const f of r.findings) if (!RULES.some((x) => x.id === f.rule)) extraRules.set(f.rule, f.severity);
  const rules = [
    ...RULES.map((r) => ({
      id: r.id,
      name: r.id.replace(/[^A-Za-z0-9]/g, ''),
      shortDescription: { text: r.description },
      fullDescription: { text: `${r.description}. References: ${r.references.join('; ')}` },
      defaultConfiguration: { level: LEVEL[r.severity] },
      properties: { tags: ['security', r.category], 'security-severity': SCORE[r.severity] },
    })),
    ...CAPABILITY_RULES.map((r) => ({
      id: r.id,
      name: r.id.replace(/[^A-Za-z0-9]/g, ''),
      shortDescription: { text: r.description },
      defaultConfiguration: { level: LEVEL[r.severity] },
      properties: { tags: ['security', 'least-privilege'], 'security-severity': SCORE[r.severity] },
    })),
    ...[...extraRules].filter(([id]) => !CAPABILITY_RULES.some((c) => c.id === id)).map(([id, sev]) => ({ id, name: id.replace(/[^A-Za-z0-9]/g, ''), shortDescription: { text: id }, defaultConfiguration: { level: LEVEL[sev] }, properties: { tags: ['security'], 'security-severity': SCORE[sev] } })),
  ];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'aext', version, informationUri: 'https://github.com/aext/aext', rules } },
        results: results.flatMap((r) =>
          r.findings.map((f) => ({
            ruleId: f.rule,
            ruleIndex: index.get(f.rule),
            level: LEVEL[f.severity],
            message: { text: `${f.message}${f.evidence ? `: ${f.evidence}` : ''}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: encodeURI(r.base ? `${r.base}/${f.file}` : f.file) },
                  ...(f.line > 0 ? { region: { startLine: f.line, startColumn: Math.max(1, f.column) } } : {}),
                },
              },
            ],
            properties: { severity: f.severity },
          })),
        ),
      },
    ],
  };
}
