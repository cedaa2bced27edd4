/**
 * Files `aext init` writes for a new extension. This is data: the MCP server
 * template is the *scaffolded* program (it writes to its own stdout), not aext code.
 */
import type { Manifest } from '../types.js';

/** Scaffold files by kind: relative path → content. */
export const SCAFFOLD: Record<Manifest['kind'], (m: Manifest) => Record<string, string>> = {
  skill: (m) => ({
    'SKILL.md': `---\nname: ${m.name}\ndescription: ${JSON.stringify(m.description)}\n---\n\n# ${m.name}\n\nDescribe when to use this skill and the steps to follow.\n`,
  }),
  'mcp-server': (m) => ({
    'server/index.js': `#!/usr/bin/env node\n// Minimal MCP server over stdio (JSON-RPC 2.0, one message per line).\nimport { createInterface } from 'node:readline';\nconst rl = createInterface({ input: process.stdin });\nconst send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');\nrl.on('line', (line) => {\n  let msg;\n  try { msg = JSON.parse(line); } catch { return; }\n  if (msg.id === undefined) return;\n  if (msg.method === 'initialize') send({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: '${m.name}', version: '${m.version}' } } });\n  else if (msg.method === 'tools/list') send({ jsonrpc: '2.0', id: msg.id, result: { tools: [{ name: 'echo', description: 'Echo the input text', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } }] } });\n  else if (msg.method === 'tools/call') send({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: String(msg.params?.arguments?.text ?? '') }] } });\n  else send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });\n});\n`,
    'package.json': JSON.stringify({ name: m.name, version: m.version, private: true, type: 'module' }, null, 2) + '\n',
  }),
  plugin: (m) => ({
    '.claude-plugin/plugin.json': JSON.stringify({ name: m.name, version: m.version, description: m.description }, null, 2) + '\n',
    'commands/hello.md': `---\ndescription: Say hello\n---\n\nGreet the user by name.\n`,
  }),
};
