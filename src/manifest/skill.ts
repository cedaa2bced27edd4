/**
 * Agent Skills frontmatter rules (agentskills.io specification, quoted in
 * scanner-anchors.md §a.1) plus the Claude Code extension keys. Pure: takes
 * parsed frontmatter, returns nothing or throws.
 */
import { AextError } from '../errors.js';

/** Keys of the Agent Skills specification. */
export const SPEC_KEYS = ['name', 'description', 'license', 'compatibility', 'metadata', 'allowed-tools'] as const;
/** Claude Code extension keys (code.claude.com skills frontmatter reference). */
export const CLAUDE_CODE_KEYS = [
  'when_to_use', 'argument-hint', 'arguments', 'disable-model-invocation', 'user-invocable', 'disallowed-tools',
  'model', 'effort', 'context', 'agent', 'hooks', 'paths', 'shell', 'version',
] as const;

const KNOWN = new Set<string>([...SPEC_KEYS, ...CLAUDE_CODE_KEYS]);

/** Agent Skills `name`: 1–64 of a-z, 0-9 and single inner hyphens. */
export const SKILL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a skill's frontmatter asks for beyond instructions. */
export interface SkillFacts {
  name: string;
  description: string;
  /** True when the frontmatter declares skill-scoped `hooks` (they run shell commands). */
  hasHooks: boolean;
  /** Where the skill is looser than the Agent Skills spec but Claude Code loads it: warnings, never refusals. */
  warnings: string[];
}

/**
 * Validates one skill's frontmatter.
 * @param data FAILSAFE-parsed frontmatter. @param file e.g. `skills/x/SKILL.md`.
 * @param expectedName manifest name (kind skill) or parent directory (plugin skills).
 * @throws AextError E_FRONTMATTER_INVALID naming the file and the key.
 */
export function checkSkillFrontmatter(data: Record<string, unknown>, file: string, expectedName: string): SkillFacts {
  const bad = (why: string) => new AextError('E_FRONTMATTER_INVALID', `${file}: ${why}`, { file });
  const warnings: string[] = [];
  // Hosts ignore keys they do not know, load names that are not slugs and long descriptions:
  // aext warns (its own aext.json stays strict) and refuses only what is unsafe or unreadable.
  const unknown = Object.keys(data).filter((k) => !KNOWN.has(k));
  if (unknown.length) warnings.push(`${file}: frontmatter key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} are neither Agent Skills spec nor Claude Code keys (ignored by the host)`);
  const name = data.name;
  if (!isStr(name) || name.trim().length < 1) throw bad('"name" must be a non-empty string');
  if (name.length > 64 || !SKILL_NAME.test(name)) warnings.push(`${file}: "name" ${JSON.stringify(name)} is not an Agent Skills name (1-64 of a-z, 0-9 and hyphens); aext.json names it ${JSON.stringify(expectedName)}`);
  else if (name !== expectedName) warnings.push(`${file}: "name" ${JSON.stringify(name)} differs from ${JSON.stringify(expectedName)} (the folder / aext.json name, which the host uses)`);
  const description = data.description;
  if (!isStr(description) || description.trim().length < 1) throw bad('"description" must be a non-empty string');
  if (description.length > 1024) warnings.push(`${file}: "description" is ${description.length} characters, over the Agent Skills limit of 1024 (the whole text is scanned)`);
  if (data.license !== undefined && !isStr(data.license)) throw bad('"license" must be a string');
  if (data.compatibility !== undefined && (!isStr(data.compatibility) || data.compatibility.length < 1 || data.compatibility.length > 500)) {
    throw bad('"compatibility" must be 1-500 characters');
  }
  if (data.metadata !== undefined && (!isMap(data.metadata) || !Object.values(data.metadata).every(isStr))) {
    throw bad('"metadata" must map strings to strings');
  }
  for (const k of ['allowed-tools', 'disallowed-tools', 'arguments', 'paths'] as const) {
    if (data[k] !== undefined && !isStr(data[k]) && !isStrList(data[k])) throw bad(`"${k}" must be a string or a list of strings`);
  }
  for (const k of ['when_to_use', 'argument-hint', 'model', 'effort', 'context', 'agent', 'version'] as const) {
    if (data[k] !== undefined && !isStr(data[k])) throw bad(`"${k}" must be a string`);
  }
  for (const k of ['disable-model-invocation', 'user-invocable'] as const) {
    if (data[k] !== undefined && data[k] !== 'true' && data[k] !== 'false') throw bad(`"${k}" must be true or false`);
  }
  if (data.shell !== undefined && data.shell !== 'bash' && data.shell !== 'powershell') throw bad('"shell" must be bash or powershell');
  if (data.hooks !== undefined && !isMap(data.hooks)) throw bad('"hooks" must be a mapping of hook events');
  return { name, description, hasHooks: data.hooks !== undefined, warnings };
}
