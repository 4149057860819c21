/**
 * Micro-benchmark of the gateway's request log middleware alone (not a test): `PER_TICK`
 * requests finish in each turn of the event loop, as with that many in flight, each through the
 * middleware with a Koa-like context and a `next` that resolves at once; the lines go through
 * pino to /dev/null (a synchronous write, as to stdout). This tree against another commit's copy
 * (see before-copy.ts), alternating in rounds; the figure is CPU time per request, the line's
 * write included. gateway-pipeline.ts measures the whole 202, where this part is buried in the
 * noise of a shared machine.
 *
 * Run: node bench/micro/request-log.ts --before DIR [--requests N] [--per-tick N] [--rounds N]
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Logger } from '../../core/logger.ts';
import type { GatewayMiddleware } from '../../gateway/gateway-context.ts';
import { alternateRounds, beforeAndAfter, importFrom } from './before-copy.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    requests: { type: 'string', default: '200000' },
    'per-tick': { type: 'string', default: '8' },
    rounds: { type: 'string', default: '9' },
  },
});

type Make = (logger: Logger) => GatewayMiddleware;

const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
const total = Number(values.requests);
const perTick = Number(values['per-tick']);
const next = (): Promise<void> => Promise.resolve();

async function measure(make: Make): Promise<number> {
  const middleware = make(logger);
  const ctx = {
    method: 'POST',
    path: '/v1/functions/bench/invocations',
    status: 202,
    state: { callId: '01JABCDEFGHJKMNPQRSTVWXYZ' },
  } as unknown as Parameters<GatewayMiddleware>[0];
  const cpu = process.cpuUsage();
  for (let done = 0; done < total; done += perTick) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < perTick; i++) batch.push(middleware(ctx, next) as Promise<unknown>);
    await Promise.all(batch);
    await new Promise<void>((resolve) => setImmediate(resolve)); // the lines are written here
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / total;
}

const variants = await beforeAndAfter(values.before, async (root) => {
  const module = await importFrom<{ requestLog: Make }>(root, 'gateway/middleware/request-log.ts');
  return module.requestLog;
});
await alternateRounds(variants, Number(values.rounds), measure, {
  unit: 'request',
  count: total,
});
