import { readFileSync } from 'node:fs';
const text = readFileSync(process.argv[2], 'utf8');
console.log(text.trim());
