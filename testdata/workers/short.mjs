// Test fixture: a scan worker that answers each batch with no results (a protocol bug).
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'jobs') parentPort.postMessage({ type: 'done', results: [] });
});
