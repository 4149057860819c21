/**
 * Delivery guarantees of issue 5 on a real RabbitMQ, with `fn gateway` and `fn node` as real
 * processes: a gateway killed with SIGKILL loses nothing it accepted, a poison message is
 * dead-lettered while other work flows, and a burst of async invocations (10,000 with
 * FN_TEST_BURST=10000) is accepted, waits in RabbitMQ (the node holds only its prefetch),
 * completes, and never runs wider than the function's `concurrency` on a node.
 * (kill -9 of a node and a broker outage are in rabbitmq-nodes and broker-outage.test.ts.)
 */
import assert from 'node:assert/strict';
import { connect } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DeadLetterListResponse, InvocationView } from '../../core/api.ts';
import { MAX_AHEAD_PER_SLOT, MAX_SPARES } from '../../runtime/delivery-window.ts';
import { waitFor } from '../support/inbox.ts';
import { rabbitmqctl } from '../support/rabbitmqctl.ts';
import { Api, readCredentials } from './support/api.ts';
import { startFn, type FnServer } from './support/fn-process.ts';
import { testVhost } from './support/rabbitmq.ts';

/** Runs `work` over `items` with at most `width` calls in flight, keeping the order of results. */
async function pooled<T, R>(
  items: T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** Every queue of the vhost with its messages (ready + unacked), as RabbitMQ counts them. */
async function queueMessages(amqpUrl: string): Promise<Map<string, number>> {
  const vhost = decodeURIComponent(new URL(amqpUrl).pathname.slice(1));
  const out = await rabbitmqctl('-q', 'list_queues', '-p', vhost, 'name', 'messages');
  const rows = out.split('\n').map((line) => line.trim().split(/\s+/));
  return new Map(
    rows
      .filter(([name, n]) => name && !(name === 'name' && n === 'messages')) // the header
      .map(([name, n]) => [name as string, Number(n)]),
  );
}

/** Every queue's messages for a failure message, or why rabbitmqctl could not tell. */
async function describeQueues(amqpUrl: string): Promise<string> {
  try {
    return JSON.stringify(Object.fromEntries(await queueMessages(amqpUrl)));
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  }
}

/**
 * A free port on 127.0.0.1 below the kernel's ephemeral range (ip_local_port_range): the kernel
 * never hands it out by itself, so it stays free while its server is down.
 */
async function portBelowEphemeral(): Promise<number> {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/);
  const below = Number(low ?? 32_768);
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    const server = createServer().listen(port, '127.0.0.1');
    const free = await new Promise<boolean>((resolve) => {
      server.once('listening', () => resolve(true));
      server.once('error', () => resolve(false));
    });
    if (free) await new Promise((resolve) => server.close(resolve));
    if (free) return port;
  }
}

/** The queue every gateway takes results from (adapters/broker-rabbitmq/topology.ts). */
const RESULTS_QUEUE = 'fjord.results';

/**
 * Results ready in the results queue, from the queue's leader at this moment (a passive declare):
 * rabbitmqctl's count of a quorum queue lags by up to its 5 s metrics tick, and each call costs
 * an Erlang VM start (seconds under load).
 */
async function resultsReady(amqpUrl: string): Promise<number> {
  const connection = await connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(RESULTS_QUEUE)).messageCount;
  } finally {
    await connection.close();
  }
}

/**
 * An HTTP server on loopback that holds every request to /held until {@link release} (and
 * answers at once afterwards): a function fetching it runs exactly as long as the test wants.
 */
async function startGate(): Promise<{
  host: string;
  arrived: () => number;
  release: () => void;
  close: () => Promise<void>;
}> {
  let open = false;
  let arrived = 0;
  const held: ServerResponse[] = [];
  const server = createServer((request, response) => {
    if (request.url !== '/held' || open) return void response.end('open');
    arrived++;
    held.push(response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrived: () => arrived,
    release: () => {
      open = true;
      for (const response of held.splice(0)) response.end('released');
    },
    close: async () => {
      open = true;
      for (const response of held.splice(0)) response.end('closing');
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Most attempts that overlapped in time: [startedAt, endedAt), an end before a start at a tie. */
function widestOverlap(views: InvocationView[]): number {
  const edges: [number, number][] = [];
  for (const attempt of views.flatMap((v) => v.history ?? [])) {
    if (!attempt.startedAt || !attempt.endedAt) continue;
    edges.push([Date.parse(attempt.startedAt), 1], [Date.parse(attempt.endedAt), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let widest = 0;
  for (const [, delta] of edges) widest = Math.max(widest, (open += delta));
  return widest;
}

/**
 * Invocations in the burst test. Issue 5 asks for 10,000: FN_TEST_BURST=10000 runs that (about
 * 30 s on a quiet 2-core machine, 60-80 s at load 20, past the suite's 120 s per test at load 30).
 * The suite runs 2,000 (as before), the same path at a size that stays inside its timeout when
 * busy (3,000 took 84 s at load 30).
 */
const BURST = Number(process.env.FN_TEST_BURST ?? 2_000);

/**
 * Ready and unacknowledged messages of one queue of the vhost, as RabbitMQ counts them. Never a
 * synchronous rabbitmqctl: it can take seconds on a busy machine, and a blocked event loop keeps
 * the HTTP client from seeing that the gateway closed its idle keep-alive connections (5 s), so
 * the next request went out on a closed one ("other side closed").
 */
async function queueCounts(
  amqpUrl: string,
  queue: string,
): Promise<{ ready: number; unacked: number }> {
  const vhost = decodeURIComponent(new URL(amqpUrl).pathname.slice(1));
  const out = await rabbitmqctl(
    '-q',
    'list_queues',
    '-p',
    vhost,
    'name',
    'messages_ready',
    'messages_unacknowledged',
  );
  const row = out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find(([name]) => name === queue);
  if (row === undefined) throw new Error(`queue ${queue} not listed by rabbitmqctl`);
  return { ready: Number(row[1]), unacked: Number(row[2]) };
}

/** Peak and current resident memory of a process in MiB, from /proc. */
function memoryMiB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1]);
  return { peak: Math.round(kib('VmHWM') / 1024), now: Math.round(kib('VmRSS') / 1024) };
}

describe('delivery guarantees on RabbitMQ (fn gateway + fn node)', () => {
  const AMQP_URL = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-guarantees-'));
  const dataDir = join(dir, '.fn');
  const suffix = randomBytes(3).toString('hex');
  const names: string[] = [];
  const servers: FnServer[] = [];
  let gateway: FnServer;
  let api: Api;
  let port: string;

  const startGateway = async (): Promise<FnServer> => {
    const server = await startFn(
      ['gateway', '--port', port, '--data-dir', dataDir, '--broker', AMQP_URL],
      { cwd: dir },
    );
    servers.push(server);
    return server;
  };

  const deploy = async (base: string, fixture: string, manifest: Record<string, unknown>) => {
    const name = `${base}-${suffix}`;
    names.push(name);
    await api.deployFixture(name, fixture, manifest);
    return name;
  };

  before(async () => {
    // The restarted gateway must be found where the node and the test already look, so its port
    // must stay free while it is down: one below the ephemeral range, which no outgoing
    // connection and no listener on port 0 can be given meanwhile.
    port = String(await portBelowEphemeral());
    gateway = await startGateway();
    api = new Api(readCredentials(join(dataDir, 'credentials.json')));
    const nodeToken = readFileSync(join(dataDir, 'node-token'), 'utf8').trim();
    const node = await startFn(
      ['node', '--broker', AMQP_URL, '--gateway', api.base, '--token', nodeToken],
      { cwd: dir },
    );
    servers.push(node);
  });

  after(async () => {
    for (const name of names) {
      await api?.fetch(`/v1/functions/${name}`, { method: 'DELETE' }).catch(() => undefined);
    }
    for (const s of servers) await s.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a gateway killed with SIGKILL loses nothing it accepted; results wait for its restart', async () => {
    // Each run fetches the gate, which holds it until the gateway is dead: whatever the load,
    // the runs end, and their results are published, while no gateway runs.
    const gate = await startGate();
    try {
      const held = await deploy('held', 'fetch-client', {
        concurrency: 2,
        timeoutMs: 120_000,
        egress: { allow: [gate.host] },
      });
      const url = `http://${gate.host}/held`;
      // The node fetches a bundle from the gateway once: it must hold it before the gateway dies.
      const warm = await api.settled(await api.invokeAsync(held, { url: `http://${gate.host}/` }));
      assert.equal(warm.status, 'succeeded', JSON.stringify(warm));
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await api.invokeAsync(held, { url }));
      await waitFor(() => gate.arrived() === 2, {
        what: 'two runs (the concurrency) waiting on the gate',
        timeoutMs: 60_000,
      });

      await gateway.stop('SIGKILL');
      const killedAt = Date.now();
      gate.release();
      // The node goes on without a gateway: it runs all six, and their results (six `finished`,
      // a `started` for each that ran over 50 ms) wait in the durable results queue. With two
      // running at once, six of them hold at least two `finished`.
      const queued = await waitFor(async () => (await resultsReady(AMQP_URL)) >= ids.length, {
        what: `${ids.length} results queued while no gateway runs`,
        timeoutMs: 60_000,
        intervalMs: 200,
      }).catch(async (error: unknown) => {
        const queues = await describeQueues(AMQP_URL);
        const node = servers[1]?.stderr().slice(-3000) ?? '';
        return `${(error as Error).message}; the gate saw ${gate.arrived()} held runs; queues ${queues}; node log:\n${node}`;
      });
      // Restarted whatever happened, so the tests after this one find a gateway.
      const restartedAt = Date.now();
      gateway = await startGateway();
      if (typeof queued === 'string') {
        const seen = await Promise.all(ids.map((id) => api.invocation(id)));
        const statuses = seen.map((v) => `${v.id} ${v.status} (${v.attempts} attempts)`);
        assert.fail(`${queued}\nafter the restart: ${statuses.join(', ')}`);
      }

      const views = await Promise.all(
        ids.map((id) => api.settled(id, 60_000).catch(() => api.invocation(id))),
      );
      assert.deepEqual(
        views.map((v) => v.status),
        ids.map(() => 'succeeded'),
        JSON.stringify(views.map((v) => ({ id: v.id, status: v.status, history: v.history }))),
      );
      const endedWhileDown = views.filter((v) => {
        const ended = Date.parse(v.endedAt ?? '');
        return ended >= killedAt && ended <= restartedAt;
      });
      assert.ok(
        endedWhileDown.length >= 2,
        'results of runs that ended while it was down recorded',
      );
      await waitFor(async () => (await resultsReady(AMQP_URL)) === 0, {
        what: 'the results queue drained by the restarted gateway',
        timeoutMs: 60_000,
        intervalMs: 200,
      });
    } finally {
      await gate.close();
    }
  });

  test('a poison message is dead-lettered after its attempts while other work keeps flowing', async () => {
    // Each attempt blows the isolate's memory limit: the isolate is thrown away every time.
    const poison = await deploy('poison', 'memory-bomb', {
      memoryMb: 16,
      concurrency: 1,
      retries: { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 200 } },
    });
    const healthy = await deploy('healthy', 'counter', { concurrency: 2 });
    const poisoned = [await api.invokeAsync(poison, null), await api.invokeAsync(poison, null)];
    const fine: string[] = [];
    for (let i = 0; i < 20; i++) fine.push(await api.invokeAsync(healthy, { i }));

    const fineViews = await Promise.all(fine.map((id) => api.settled(id, 60_000)));
    assert.ok(fineViews.every((v) => v.status === 'succeeded'));
    const dead = await Promise.all(poisoned.map((id) => api.settled(id, 60_000)));
    for (const view of dead) {
      assert.equal(view.status, 'dead');
      assert.equal(view.attempts, 3);
      assert.equal(view.error?.code, 'MEMORY_LIMIT_EXCEEDED');
    }
    const dlq = await api.json<DeadLetterListResponse>(`/v1/functions/${poison}/dlq`);
    assert.equal(dlq.status, 200);
    assert.deepEqual(dlq.body.deadLetters.map((d) => d.id).sort(), [...poisoned].sort());
    assert.ok(dlq.body.deadLetters.every((d) => d.attempt === 3));
  });

  test(`a burst of ${BURST.toLocaleString('en')} async invocations: all accepted, the backlog waits in RabbitMQ, all succeed`, async (t) => {
    const concurrency = 8;
    const slow = await deploy('burst', 'sleep', { concurrency });
    const queue = `fjord.fn.${slow}`;
    const before = memoryMiB(gateway.child.pid as number);
    const started = Date.now();
    const accepted = await pooled(
      Array.from({ length: BURST }, (_, i) => i),
      50,
      async () => {
        const { status, body } = await api.json<{ id: string }>(
          `/v1/functions/${slow}/invocations`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ms: 10 }),
          },
        );
        return { status, id: body?.id };
      },
    );
    const acceptSeconds = (Date.now() - started) / 1000;
    const backlog = await queueCounts(AMQP_URL, queue);
    const memory = memoryMiB(gateway.child.pid as number);
    assert.deepEqual(
      accepted.filter((a) => a.status !== 202),
      [],
      'every request was accepted (202)',
    );
    t.diagnostic(
      `accepted ${BURST} in ${acceptSeconds.toFixed(1)} s (${Math.round(BURST / acceptSeconds)}/s); ` +
        `then ${backlog.ready} ready and ${backlog.unacked} unacked in RabbitMQ; gateway RSS ` +
        `${before.now} MiB before, ${memory.now} MiB after, peak ${memory.peak} MiB`,
    );
    // Back-pressure on the node: it holds no more deliveries than its prefetch (the slots it runs,
    // the runs sent ahead to its isolate host, and at most MAX_SPARES waiting while results are
    // confirmed: runtime/delivery-window.ts); the rest of the backlog waits in RabbitMQ, not in a
    // node's or the gateway's memory.
    const prefetch = concurrency * (1 + MAX_AHEAD_PER_SLOT) + MAX_SPARES;
    assert.ok(
      backlog.unacked <= prefetch,
      `${backlog.unacked} deliveries held by the node, over its largest prefetch ${prefetch}`,
    );

    const succeeded = new RegExp(
      `fjord_invocations_total\\{function="${slow}",status="succeeded"[^}]*\\} (\\d+)`,
    );
    await waitFor(
      async () => {
        const text = await (await api.fetch('/metrics')).text();
        return Number(succeeded.exec(text)?.[1] ?? 0) >= BURST || undefined;
      },
      { what: `${BURST} results recorded`, timeoutMs: 600_000, intervalMs: 500 },
    );
    // RabbitMQ updates a quorum queue's counts every few seconds: they may lag the results.
    await waitFor(
      async () => {
        const { ready, unacked } = await queueCounts(AMQP_URL, queue);
        return (ready === 0 && unacked === 0) || undefined;
      },
      { what: `${queue} to be empty in rabbitmqctl`, timeoutMs: 120_000, intervalMs: 2000 },
    );
    // A sample of the records, spread over the burst: every one succeeded, none ran wider than
    // the function's concurrency.
    const sample = accepted.filter((_, i) => i % Math.ceil(BURST / 200) === 0).map((a) => a.id);
    const views = await pooled(sample, 8, (id) => api.settled(id, 60_000));
    assert.deepEqual(
      views.filter((v) => v.status !== 'succeeded').map((v) => v.id),
      [],
    );
    const widest = widestOverlap(views);
    assert.ok(widest <= concurrency, `${widest} attempts overlapped, over ${concurrency}`);
  });
});
