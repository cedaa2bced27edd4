// Test fixture: a scan worker that accepts jobs and never answers (a scan that hangs).
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'jobs') for (;;);
});
