/**
 * Micro-benchmark of the gateway's own work per accepted async request, without sockets (not a
 * test): `POST /v1/functions/NAME/invocations` with a bearer token and a small JSON body, handed
 * to the Koa app's callback as an IncomingMessage and a ServerResponse with no connection, so
 * what is measured is the middleware, routing, auth, body reading, acceptance and the response's
 * headers, with the store (SQLite on a file) and the in-memory broker of the gateway tests.
 * Unlike gateway-requests.ts, neither the kernel's socket writes nor a client sharing the CPU
 * are in the figure, and the requests in flight are a fixed number, so the store's group commits
 * are the same on both sides: the difference between two trees is less buried in the machine's
 * load. This tree against another commit's copy (see before-copy.ts), alternating in rounds;
 * the figure is CPU time per 202.
 *
 * Run: node bench/micro/gateway-pipeline.ts --before DIR [--requests N] [--inflight N] [--rounds N]
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Store } from '../../core/store.ts';
import type { Gateway, GatewayOptions } from '../../gateway/gateway.ts';
import { FakeBroker } from '../../test/support/fake-broker.ts';
import { beforeAndAfter, importFrom, median } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    requests: { type: 'string', default: '20000' },
    inflight: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '7' },
  },
});

interface Code {
  createGateway(options: GatewayOptions): Gateway;
  SqliteStore: new (options: { path: string }) => Store & { init(): Promise<void> };
}

async function load(root: string): Promise<Code> {
  const { createGateway } = await importFrom<Pick<Code, 'createGateway'>>(
    root,
    'gateway/gateway.ts',
  );
  const { SqliteStore } = await importFrom<Pick<Code, 'SqliteStore'>>(
    root,
    'adapters/store-sqlite/index.ts',
  );
  return { createGateway, SqliteStore };
}

const BUNDLE = 'var __fjord_module = (() => ({ default: { fetch() {} } }))();';
const BODY = Buffer.from('{"n":1}');

type Handle = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** One request through the app; resolves with its status once Koa has answered. */
async function send(
  handle: Handle,
  method: string,
  url: string,
  token: string,
  body: Buffer,
): Promise<ServerResponse> {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = url;
  req.headers = {
    host: '127.0.0.1',
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    'content-length': String(body.length),
  };
  req.push(body);
  req.push(null);
  // As node:http's parser marks a request whose body it read whole (else its end is an abort).
  req.complete = true;
  const res = new ServerResponse(req);
  await handle(req, res);
  return res;
}

async function round(code: Code, dir: string, n: number): Promise<number> {
  const store = new code.SqliteStore({ path: join(dir, `${n}.db`) });
  await store.init();
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
  const gateway = code.createGateway({ store, broker: new FakeBroker(), logger });
  await gateway.start();
  const handle = gateway.app.callback() as Handle;
  const { token } = await store.createToken('admin', 'bench');
  const deploy = JSON.stringify({ manifest: { name: 'bench' }, bundle: BUNDLE });
  const deployed = await send(handle, 'PUT', '/v1/functions/bench', token, Buffer.from(deploy));
  if (deployed.statusCode >= 300) throw new Error(`deploy: ${deployed.statusCode}`);
  const total = Number(values.requests);
  let sent = 0;
  let accepted = 0;
  const worker = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      const res = await send(handle, 'POST', '/v1/functions/bench/invocations', token, BODY);
      if (res.statusCode === 202) accepted++;
    }
  };
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: Number(values.inflight) }, worker));
  const used = process.cpuUsage(cpu);
  await gateway.stop();
  await store.close();
  if (accepted !== total) throw new Error(`${total - accepted} requests were not accepted`);
  return (used.user + used.system) / accepted;
}

const sides = await beforeAndAfter(values.before, load);
const totals = new Map<string, number[]>();
const dir = await mkdtemp(join(tmpdir(), 'fjord-gateway-pipeline-'));
try {
  let n = 0;
  // A round per side first, not counted: the JIT's work would weigh on the first side alone.
  for (const [, code] of sides) await round(code, dir, n++);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [name, code] of r % 2 === 0 ? sides : [...sides].reverse()) {
      const cpuUs = await round(code, dir, n++);
      totals.set(name, [...(totals.get(name) ?? []), cpuUs]);
      console.log(`${name}: ${cpuUs.toFixed(1)} µs CPU per 202`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const [name, cpuUs] of totals) {
  console.log(
    `median ${name}: ${median(cpuUs).toFixed(1)} µs CPU per 202 (${values.requests} requests, ${values.inflight} in flight)`,
  );
}
