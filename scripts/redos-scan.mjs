// Lists every regular-expression literal (and `new RegExp('…')` with a literal pattern) in src/
// and checks each with recheck (a ReDoS analyser: https://makenowjust-labs.github.io/recheck/).
import ts from 'typescript';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkSync } from 'recheck';

export function regexesIn(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (n) => {
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const t = n.getText();
      const i = t.lastIndexOf('/');
      out.push({ file, line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, source: t.slice(1, i), flags: t.slice(i + 1) });
    } else if (ts.isNewExpression(n) && n.expression.getText() === 'RegExp' && n.arguments?.[0] && ts.isStringLiteralLike(n.arguments[0])) {
      const f = n.arguments[1] && ts.isStringLiteralLike(n.arguments[1]) ? n.arguments[1].text : '';
      out.push({ file, line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, source: n.arguments[0].text, flags: f });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

export function sourceFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.c?ts$/.test(e) && !/\.test\.ts$/.test(e) && !p.includes('test-helpers')) out.push(p);
  }
  return out;
}

if (process.argv[1]?.endsWith("redos-scan.mjs") && import.meta.url === `file://${process.argv[1]}`) {
  const all = sourceFiles('src').flatMap(regexesIn);
  let bad = 0;
  for (const r of all) {
    const res = checkSync(r.source, r.flags.replace(/[gy]/g, ''), { timeout: Number(process.env.RECHECK_TIMEOUT ?? 10000) });
    if (res.status !== 'safe') {
      bad++;
      console.log(`${res.status}\t${r.file}:${r.line}\t/${r.source.slice(0, 140)}/${r.flags}\t${res.complexity?.summary ?? res.error?.kind ?? ''}\t${res.attack?.pattern ?? ''}`);
    }
  }
  console.log(`${all.length} patterns, ${bad} not safe`);
}
