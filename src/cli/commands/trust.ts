import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { AextError, createRotation, loadPrivateKey, trustAdd, trustAddRotation, trustList, trustRemove } from '../../index.js';
import { collect } from './common.js';
import type { Ctx } from '../context.js';

/** Registers `aext trust add|list|remove|add-rotation|rotate` (CONTRACT §2, trust store in ROOT/trust/). */
export function register(program: Command, ctx: Ctx): void {
  const trust = program.command('trust').description('the trust store in ROOT/trust/: publisher keys scoped to name globs, rotation statements');
  trust
    .command('add')
    .description('trust a public key for one publisher and name globs')
    .argument('<key>', 'KEY.pub.pem (Ed25519 SPKI)')
    .requiredOption('--publisher <publisher>', 'publisher the key may sign for')
    .option('--names <glob>', 'name glob the key may sign (repeatable; default *)', collect, [])
    .option('--not-after <date>', 'ISO 8601 date after which the key signs nothing new')
    .option('--root <dir>', 'install root (default $AEXT_HOME or ~/.aext)')
    .action((key: string, o: { publisher: string; names: string[]; notAfter?: string; root?: string }) =>
      ctx.run('trust add', async () => {
        const r = await trustAdd(key, { publisher: o.publisher, names: o.names, notAfter: o.notAfter, root: o.root });
        return { result: { key: r }, human: `trusted ${r.keyid} for ${r.publisher}/{${r.names.join(',')}}` };
      }),
    );
  trust
    .command('list')
    .description('list trusted keys')
    .option('--root <dir>', 'install root')
    .action((o: { root?: string }) =>
      ctx.run('trust list', async () => {
        const r = await trustList({ root: o.root });
        return { result: { ...r }, human: r.keys.length ? r.keys.map((k) => `${k.keyid}  ${k.publisher}/{${k.names.join(',')}}${k.not_after ? `  until ${k.not_after}` : ''}`).join('\n') : `no trusted keys in ${r.root}` };
      }),
    );
  trust
    .command('remove')
    .description('remove a trusted key')
    .argument('<keyid>', 'key id (or a unique prefix of ≥ 8 hex digits)')
    .option('--root <dir>', 'install root')
    .action((keyid: string, o: { root?: string }) =>
      ctx.run('trust remove', async () => {
        const r = await trustRemove(keyid, { root: o.root });
        return { result: { removed: r }, human: `removed ${r.keyid}` };
      }),
    );
  trust
    .command('add-rotation')
    .description('store a key-rotation statement (signed by the old and the new key)')
    .argument('<file>', 'rotation .dsse.json')
    .option('--root <dir>', 'install root')
    .action((file: string, o: { root?: string }) =>
      ctx.run('trust add-rotation', async () => {
        const r = await trustAddRotation(file, { root: o.root });
        return { result: { rotation: r }, human: `stored rotation ${r.from.slice(0, 12)}… -> ${r.to.slice(0, 12)}… (seq ${r.seq}) for ${r.publisher}` };
      }),
    );
  trust
    .command('rotate')
    .description('publisher side: write a rotation statement signed by the old and the new private key')
    .requiredOption('--from <key>', 'old private key PEM')
    .requiredOption('--to <key>', 'new private key PEM')
    .requiredOption('--publisher <publisher>', 'publisher')
    .requiredOption('--seq <n>', 'sequence number (increase with every rotation)')
    .requiredOption('-o, --out <file>', 'output .dsse.json')
    .action((o: { from: string; to: string; publisher: string; seq: string; out: string }) =>
      ctx.run('trust rotate', async () => {
        const seq = Number(o.seq);
        if (!Number.isSafeInteger(seq) || seq < 1) throw new AextError('E_USAGE', '--seq must be a positive integer');
        const bytes = await createRotation(o.publisher, await loadPrivateKey(o.from), await loadPrivateKey(o.to), seq);
        writeFileSync(o.out, bytes, { flag: 'wx' });
        return { result: { file: o.out, seq }, human: `wrote ${o.out}` };
      }),
    );
}
