/**
 * Micro-benchmark of the gateway's CPU per accepted async request (not a test): the Koa app
 * with a SQLite store on a file, served on 127.0.0.1, taking authenticated
 * `POST /v1/functions/NAME/invocations` from autocannon in a child process (so the client's CPU
 * is not counted). The broker is the in-memory one of the gateway tests, confirming at once:
 * what is measured is the gateway (auth, admission, ids, the acceptance's group commit, the
 * response, the request log to a synchronous /dev/null). `--confirms grouped` confirms the
 * enqueues of one event loop turn together, from one callback, as amqplib does with the
 * confirms of one socket read (their acceptances then share a commit). This tree's gateway and store against
 * another commit's (a copy made with `git archive COMMIT core adapters gateway`, node_modules
 * linked), alternating in rounds; the figure is this process's CPU time per 202.
 *
 * Run: node bench/micro/gateway-requests.ts --before DIR [--seconds N] [--connections N]
 *        [--rounds N] [--confirms instant|grouped]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Store } from '../../core/store.ts';
import type { Gateway, GatewayOptions } from '../../gateway/gateway.ts';
import { listen } from '../../server/listen.ts';
import { FakeBroker } from '../../test/support/fake-broker.ts';
import { httpLoad } from '../support/http-load.ts';
import { beforeAndAfter, importFrom, median } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '5' },
    confirms: { type: 'string', default: 'instant' },
    client: { type: 'string' },
    token: { type: 'string' },
  },
});

if (values.client !== undefined) {
  // The child: load, then the statuses on stdout.
  const run = await httpLoad({
    url: values.client,
    method: 'POST',
    headers: { authorization: `Bearer ${values.token ?? ''}`, 'content-type': 'application/json' },
    body: '{"n":1}',
    connections: Number(values.connections),
    durationS: Number(values.seconds),
  });
  process.stdout.write(JSON.stringify(run.statuses));
  process.exit(0);
}
interface Code {
  createGateway(options: GatewayOptions): Gateway;
  SqliteStore: new (options: { path: string }) => Store & { init(): Promise<void> };
}

async function load(root: string): Promise<Code> {
  const gateway = await importFrom<Pick<Code, 'createGateway'>>(root, 'gateway/gateway.ts');
  const store = await importFrom<Pick<Code, 'SqliteStore'>>(root, 'adapters/store-sqlite/index.ts');
  return { ...gateway, ...store };
}

const BUNDLE = 'var __fjord_module = (() => ({ default: { fetch() {} } }))();';

async function round(code: Code, dir: string, n: number): Promise<{ cpuUs: number; perS: number }> {
  const store = new code.SqliteStore({ path: join(dir, `${n}.db`) });
  await store.init();
  // As `fn up` logs to stderr: one synchronous write per line.
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
  const broker = new FakeBroker();
  if (values.confirms === 'grouped') broker.beforeConfirm = groupedConfirms();
  const gateway = code.createGateway({ store, broker, logger });
  await gateway.start();
  const handle = gateway.app.callback();
  const server = await listen(
    (req: IncomingMessage, res: ServerResponse) => void handle(req, res),
    0,
    '127.0.0.1',
  );
  const { token } = await store.createToken('admin', 'bench');
  const deployed = await fetch(`${server.url}/v1/functions/bench`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: { name: 'bench' }, bundle: BUNDLE }),
  });
  if (!deployed.ok) throw new Error(`deploy: ${deployed.status} ${await deployed.text()}`);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const statuses = await client(`${server.url}/v1/functions/bench/invocations`, token);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await server.close();
  await gateway.stop();
  await store.close();
  const accepted = statuses[202] ?? 0;
  if (accepted === 0) throw new Error(`no 202: ${JSON.stringify(statuses)}`);
  return { cpuUs: (used.user + used.system) / accepted, perS: accepted / seconds };
}

/** Holds each confirm until the end of the turn, then gives them all in one callback. */
function groupedConfirms(): () => Promise<void> {
  let waiting: (() => void)[] = [];
  return () => {
    if (waiting.length === 0) {
      setImmediate(() => {
        const now = waiting;
        waiting = [];
        for (const confirm of now) confirm();
      });
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    waiting.push(resolve);
    return promise;
  };
}

function client(url: string, token: string): Promise<Record<number, number>> {
  const child = spawn(
    process.execPath,
    [
      import.meta.filename,
      ...['--client', url, '--token', token],
      ...['--seconds', values.seconds, '--connections', values.connections],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0
        ? done(JSON.parse(out) as Record<number, number>)
        : fail(new Error(`client ${code}`)),
    );
  });
}

const sides = await beforeAndAfter(values.before, load);
const totals = new Map<string, { cpuUs: number[]; perS: number[] }>();
const dir = await mkdtemp(join(tmpdir(), 'fjord-gateway-requests-'));
try {
  let n = 0;
  // A round per side first, not counted: the JIT's work would weigh on the first side alone.
  for (const [, code] of sides) await round(code, dir, n++);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [name, code] of r % 2 === 0 ? sides : [...sides].reverse()) {
      const { cpuUs, perS } = await round(code, dir, n++);
      const t = totals.get(name) ?? { cpuUs: [], perS: [] };
      t.cpuUs.push(cpuUs);
      t.perS.push(perS);
      totals.set(name, t);
      console.log(`${name}: ${cpuUs.toFixed(0)} µs CPU per 202, ${Math.round(perS)}/s`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const [name, t] of totals) {
  console.log(
    `median ${name}: ${median(t.cpuUs).toFixed(0)} µs CPU per 202, ${Math.round(median(t.perS))}/s (${values.connections} connections, ${values.seconds} s rounds)`,
  );
}
