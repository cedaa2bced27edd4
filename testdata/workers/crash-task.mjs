// Test fixture: a scan worker that dies on its first side task (the archive reader's listing or digest).
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'task') throw new Error('worker bug');
});
