#!/usr/bin/env node
// Entry point (CONTRACT §1). The CLI is compiled to dist/ and bundled into dist/bundle/ by
// `npm ci` (prepare).
import v8 from 'node:v8';

const argv = process.argv.slice(2);
const command = argv.find((a) => !a.startsWith('-'));

// Commands that stream whole archives keep V8's young generation at its initial size (1 MiB
// semi-spaces) instead of letting it grow to 16 MiB ones: the same speed, about 50 MB less peak
// memory (issue 12: install under 100 MB whatever the archive size). V8 reads the growth factor
// each time it considers growing the young generation, so setting it before any work holds; a
// worker thread starting up puts V8's flags back to the command line's, so it is set again once
// each worker is running.
const STREAMING = new Set(['pack', 'install', 'check', 'scan', 'verify', 'sign', 'audit']);
if (STREAMING.has(command)) {
  const keepYoungSmall = () => v8.setFlagsFromString('--semi-space-growth-factor=1');
  keepYoungSmall();
  // The scan worker sets it again as its first step (the flag is process-wide), sooner than
  // this thread can react to its 'online' event while busy; the event is the backstop.
  process.env.AEXT_YOUNG_GROWTH = '1';
  process.on('worker', (w) => w.once('online', keepYoungSmall));
}

const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(argv);
