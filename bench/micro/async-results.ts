/**
 * Micro-benchmark of the async result path (not a test): the gateway's enqueue, a runtime agent
 * with a stand-in executor that answers at once, and the gateway's results consumer writing each
 * result into a SQLite store, all in this process. Per invocation it reports the CPU time of this
 * process, the results messages the broker carried, and RabbitMQ's own CPU time (its `beam.smp`,
 * shared with whatever else uses the broker, so only a hint on a busy machine). This tree's code
 * against another commit's (a copy made with `git archive`), alternating in rounds.
 *
 * Run: node bench/micro/async-results.ts --before /tmp/before [--broker rabbitmq|embedded]
 *        [--url amqp://guest:guest@127.0.0.1:5672/VHOST] [--invocations N] [--window N] [--rounds N]
 *        [--concurrency N (the function's, default 4 as fn.json's)]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Broker } from '../../core/broker.ts';
import type { ExecutionOutcome, Executor } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import type { FunctionSpec, InvocationResult, ResultEvent } from '../../core/messages.ts';
import type { Store } from '../../core/store.ts';
import { beforeAndAfter, importFrom, median } from './before-copy.ts';
import { benchMessage } from './broker-messages.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672/fjord-bench' },
    broker: { type: 'string', default: 'rabbitmq' },
    before: { type: 'string' },
    invocations: { type: 'string', default: '5000' },
    window: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
  },
});
const N = Number(values.invocations);
const WINDOW = Number(values.window);
const ROUNDS = Number(values.rounds);

interface Agent {
  start(): Promise<void>;
  drain(graceMs?: number): Promise<number>;
}
type Ctor<T> = new (options: Record<string, unknown>) => T;
interface Code {
  Agent: Ctor<Agent>;
  Broker: Ctor<Broker>;
  Store: Ctor<Store & { init(): Promise<void>; close(): Promise<void> }>;
}

async function load(root: string): Promise<Code> {
  const adapter =
    values.broker === 'embedded'
      ? ['adapters/broker-embedded/index.ts', 'EmbeddedBroker']
      : ['adapters/broker-rabbitmq/index.ts', 'RabbitMqBroker'];
  const imported = (file: string) => importFrom(root, file);
  return {
    Agent: (await imported('runtime/agent.ts')).RuntimeAgent as Code['Agent'],
    Broker: (await imported(adapter[0] ?? ''))[adapter[1] ?? ''] as Code['Broker'],
    Store: (await imported('adapters/store-sqlite/index.ts')).SqliteStore as Code['Store'],
  };
}

const executor: Executor = {
  invoke: async () =>
    ({
      ok: true,
      value: 'ok',
      coldStart: false,
      durationMs: 0,
      logs: [],
    }) satisfies ExecutionOutcome,
  evict: async () => undefined,
  stats: () => ({ instances: 0, coldStarts: 0, invocations: 0 }),
  dispose: async () => undefined,
};

/** CPU ms used so far by RabbitMQ's Erlang VM, or NaN when it cannot be read. */
function rabbitCpuMs(): number {
  try {
    const pid = execFileSync('pgrep', ['-o', 'beam.smp'], { encoding: 'utf8' }).trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

interface Figures {
  cpuMs: number;
  rabbitMs: number;
  messages: number;
  perS: number;
}

async function round(code: Code): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-async-results-'));
  const prefix = `bench-results-${randomBytes(4).toString('hex')}`;
  const options = () =>
    values.broker === 'embedded'
      ? { path: join(dir, 'broker.db'), logger: silentLogger() }
      : { url: values.url, logger: silentLogger(), prefix };
  const gateway = new code.Broker(options());
  // The embedded broker of `fn up` is one instance for the gateway and the node.
  const node = values.broker === 'embedded' ? gateway : new code.Broker(options());
  const store = new code.Store({ path: join(dir, 'store.db') });
  await store.init();
  await gateway.start();
  if (node !== gateway) await node.start();
  const fn: FunctionSpec = {
    ...benchMessage('async-results', 'x', 0, false).fn,
    name: `results-${randomBytes(3).toString('hex')}`,
    concurrency: Number(values.concurrency),
  };
  await gateway.declareFunction(fn.name);
  let recorded = 0;
  let messages = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const counted = (results: number): void => {
    messages += 1;
    recorded += results;
    if (recorded >= N) done();
  };
  const finished = (events: readonly ResultEvent[]): InvocationResult[] =>
    events.flatMap((e) => (e.type === 'finished' ? [e.result] : []));
  if ('consumeResultBursts' in gateway && 'recordResults' in store) {
    await gateway.consumeResultBursts(async (events) => {
      await store.recordResults(finished(events));
      counted(finished(events).length);
    });
  } else {
    await gateway.consumeResults(async (event) => {
      if (event.type === 'finished') await store.recordResult(event.result);
      counted(finished([event]).length);
    });
  }
  const agent = new code.Agent({
    broker: node,
    executor,
    directory: { list: async () => [fn] },
    logger: silentLogger(),
    nodeId: 'bench',
    prewarm: 0,
  });
  await agent.start();
  try {
    const rabbitBefore = rabbitCpuMs();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let next = 0;
    const sender = async (): Promise<void> => {
      while (next < N) {
        const message = benchMessage(fn.name, `${prefix}-${next}`, next, false);
        next += 1;
        message.fn = fn;
        await gateway.enqueue(message);
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, sender));
    await all;
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      cpuMs: (cpu.user + cpu.system) / 1000 / N,
      rabbitMs: (rabbitCpuMs() - rabbitBefore) / N,
      messages: messages / N,
      perS: N / (elapsed / 1000),
    };
  } finally {
    await agent.drain(1000);
    await gateway.deleteFunction(fn.name).catch(() => undefined);
    if (node !== gateway) await node.close();
    await gateway.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const variants = await beforeAndAfter(values.before, load);
const results = new Map<string, Figures[]>();
const show = (f: Figures): string =>
  `${f.cpuMs.toFixed(3)} ms CPU/inv here, ${f.rabbitMs.toFixed(3)} ms RabbitMQ, ` +
  `${f.messages.toFixed(3)} result msgs/inv, ${Math.round(f.perS)}/s`;
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, code] of variants) {
    const f = await round(code);
    results.set(name, [...(results.get(name) ?? []), f]);
    console.log(`${name} (${values.broker}): ${show(f)}`);
  }
}
for (const [name, figures] of results) {
  const pick = (key: keyof Figures) => median(figures.map((f) => f[key]));
  const m = { cpuMs: pick('cpuMs'), rabbitMs: pick('rabbitMs'), messages: pick('messages') };
  console.log(`median ${name}: ${show({ ...m, perS: pick('perS') })} (${N} invocations)`);
}
