/**
 * Where this package is installed: the directory holding its `package.json` (name `aext-cli`),
 * `bin/`, `dist/` and `schemas/`. Found by walking up from this module, so it is the same whether
 * the code runs from `src/` (tests), `dist/` (the library) or the CLI bundle in `dist/bundle/`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The package root (absolute path).
 * @throws Error when no `package.json` named `aext-cli` is above this module (a broken install).
 */
export function packageRoot(): string {
  if (root) return root;
  for (let d = path.dirname(fileURLToPath(import.meta.url)); ; d = path.dirname(d)) {
    try {
      if ((JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')) as { name?: unknown }).name === 'aext-cli') return (root = d);
    } catch {
      /* no package.json here: go up */
    }
    if (d === path.dirname(d)) throw new Error('aext: cannot find the aext-cli package root above ' + fileURLToPath(import.meta.url));
  }
}
