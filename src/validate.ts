/**
 * `aext validate`: a source directory, one file, or an archive (manifest schema, frontmatter,
 * layout, cross-field rules; for archives also structure and INDEX integrity). Its own module so
 * the command loads only what validation needs (start-up cost; issue 12), not the install pipeline.
 * Archives are extracted only into a private temporary directory that is always removed.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toAextError } from './errors.js';
import { resolveLimits, type Limits } from './limits.js';
import type { Manifest } from './types.js';
import { collectSource, diskSourceFile, dirFiles, memoryFiles } from './inputs/package-source.js';
import { validatePackage } from './manifest/validate.js';

/** True when `target` names an archive rather than a source directory. */
export const isArchivePath = (target: string) => /\.aext$/i.test(target);

/** Runs `fn` with a fresh private directory (0700) that is removed afterwards, whatever happens. */
export async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'aext-'));
  try {
    const staging = path.join(dir, 'pkg');
    await fsp.mkdir(staging, { mode: 0o700 });
    return await fn(staging);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Result of {@link validate}. */
export interface ValidateResult {
  target: string;
  manifest: Manifest;
  files: number;
  hooks: number;
  mcp_servers: number;
  warnings: string[];
}

/**
 * Validates a source directory or an archive (manifest schema, frontmatter,
 * layout, cross-field rules; for archives also structure and INDEX integrity).
 * @throws AextError E_MANIFEST_INVALID, E_FRONTMATTER_INVALID, E_LAYOUT_INVALID, and archive codes.
 */
export async function validate(target: string, opts: { limits?: Partial<Limits> } = {}): Promise<ValidateResult> {
  const limits = resolveLimits(opts.limits);
  if (!isArchivePath(target)) {
    // One file on its own (a SKILL.md, a plugin.json, a script): scanned under its own name.
    const st = await fsp.stat(target).catch((e) => {
      throw toAextError(e, { file: target });
    });
    const single = st.isFile() && !/\.(?:tar|tgz|tar\.gz)$/i.test(target);
    const files = single ? [diskSourceFile(path.basename(target), path.resolve(target), st.size)] : await collectSource(target, limits);
    const info = await validatePackage(memoryFiles(files), limits, target);
    return { target, manifest: info.manifest, files: files.length, hooks: info.hooks.length, mcp_servers: info.mcpServers.length, warnings: info.warnings };
  }
  // The archive reader is loaded only for archives (start-up cost of validating a folder; issue 12).
  const [{ openArchive }, { extractVerified }] = await Promise.all([import('./pipeline/open.js'), import('./archive/extract.js')]);
  return withTemp(async (dir) => {
    const a = await openArchive(target, { limits });
    try {
      await extractVerified(a.zip, a.pairs, dir);
      const paths = a.envelope.index.files.map((f) => f.path);
      const info = await validatePackage(dirFiles(dir, paths), limits, target);
      return { target, manifest: info.manifest, files: paths.length, hooks: info.hooks.length, mcp_servers: info.mcpServers.length, warnings: info.warnings };
    } finally {
      await a.close();
    }
  });
}

