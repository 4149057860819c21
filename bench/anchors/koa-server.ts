/**
 * The "no queue" anchor: a bare Koa app that runs the benchmark's fetch handler in-process, the
 * same code Fjord runs in an isolate. Run as its own process (like Fjord and workerd, so the load
 * generator never shares its event loop); prints {"event":"ready","url":...} on stdout.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import Koa from 'koa';
import handler from '../functions/bench-fetch/index.ts';

const app = new Koa();
app.use(async (ctx) => {
  const request = new Request(new URL(ctx.url, `http://${ctx.host}`), {
    method: ctx.method,
    headers: ctx.headers as Record<string, string>,
  });
  const response = await handler.fetch(request);
  ctx.status = response.status;
  for (const [name, value] of response.headers) ctx.set(name, value);
  ctx.body = Buffer.from(await response.arrayBuffer());
});

const handle = app.callback();
// Koa's callback handles its own errors; node:http ignores the promise it returns.
const server = createServer((req, res) => void handle(req, res));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
console.log(JSON.stringify({ event: 'ready', url: `http://127.0.0.1:${address.port}` }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
