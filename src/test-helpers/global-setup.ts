// Checks the system tools the tests need (naming the package and the set-up script when one is
// missing, instead of failing later on ENOENT), then builds dist/ (and the CLI bundle in dist/bundle/)
// once so CLI tests run the current sources through bin/aext.js.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOLS: Array<[string, string[], string]> = [
  ['bwrap', ['--version'], 'bubblewrap'],
  ['python3', ['--version'], 'python3'],
  ['zip', ['-v'], 'zip'],
  ['unzip', ['-v'], 'unzip'],
  ['bsdtar', ['--version'], 'libarchive-tools'],
  ['7z', ['i'], 'p7zip-full'],
  ['openssl', ['version'], 'openssl'],
];

export default function setup(): void {
  const missing = TOOLS.filter(([cmd, args]) => spawnSync(cmd, args, { stdio: 'ignore' }).error).map(([cmd, , pkg]) => `${cmd} (Debian package ${pkg})`);
  if (missing.length) throw new Error(`the tests need ${missing.join(', ')}: run \`bash scripts/setup.sh\` (it apt-get installs them)`);
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  execFileSync(process.execPath, [path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(repo, 'tsconfig.build.json')], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(repo, 'scripts', 'gen-validators.mjs')], { stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(repo, 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
}
