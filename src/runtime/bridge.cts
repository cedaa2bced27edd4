/**
 * Runs INSIDE the sandbox (plain CommonJS, no aext imports): listens on
 * 127.0.0.1:PORT in the sandbox's own network namespace, where nothing else
 * routes, forwards each TCP connection to the host-side egress proxy's Unix
 * socket (bind-mounted in), then starts the server with stdio inherited and
 * exits with its status. The server reaches the network only through
 * `HTTP(S)_PROXY=http://127.0.0.1:PORT`, and the proxy decides.
 *
 * argv: SOCKET PORT -- COMMAND ARGS…; `AEXT_CHILD_NODE_OPTIONS`, when set,
 * becomes the child's NODE_OPTIONS (the bridge itself runs without them).
 */
import net from 'node:net';
import { spawn } from 'node:child_process';

const [sock, portText, sep, command, ...args] = process.argv.slice(2);
if (!sock || !portText || sep !== '--' || !command) {
  process.stderr.write('aext bridge: usage: SOCKET PORT -- COMMAND ARGS...\n');
  process.exit(70);
}
const server = net.createServer((c) => {
  const up = net.connect(sock);
  c.on('error', () => up.destroy());
  up.on('error', () => c.destroy());
  c.pipe(up);
  up.pipe(c);
});
server.listen(Number(portText), '127.0.0.1', () => {
  const env = { ...process.env };
  const nodeOptions = env.AEXT_CHILD_NODE_OPTIONS;
  delete env.AEXT_CHILD_NODE_OPTIONS;
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  const child = spawn(command, args, { stdio: 'inherit', env });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`aext bridge: cannot start ${command}: ${e.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
});
server.on('error', (e) => {
  process.stderr.write(`aext bridge: ${e.message}\n`);
  process.exit(70);
});
