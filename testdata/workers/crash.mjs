// Test fixture: a scan worker that dies on its first batch of jobs.
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'jobs') throw new Error('scanner bug');
});
