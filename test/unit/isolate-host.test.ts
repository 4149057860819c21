/**
 * The process-hosted isolate executor gives the same results as the inline one (the executor
 * conformance cases, run on both), reuses warm isolates across invocations, fetches each bundle
 * once per process, and forwards live console lines and its children's log lines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Logger } from '../../core/logger.ts';
import type { LiveLogEvent } from '../../runtime/isolate/isolate-executor.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import {
  IsolateHostExecutor,
  stickyIndex,
} from '../../runtime/isolate-host/isolate-host-executor.ts';
import { CONFORMANCE_CASES, comparableOutcome } from '../container/executor-cases.ts';
import { bundleFunction, FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  eventPayload,
  invocationContext,
  responseOf,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';

describe('isolate host: the same results as the inline isolate executor', () => {
  const bundles = new FixtureBundles();
  const live: LiveLogEvent[] = [];
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const line =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
    };
  const logger: Logger = {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: () => logger,
  };
  let inline: IsolateExecutor;
  let hosted: IsolateHostExecutor;

  before(async () => {
    inline = new IsolateExecutor({ loadCode: bundles.load });
    hosted = new IsolateHostExecutor({
      loadCode: bundles.load,
      processes: 2,
      onLog: (event) => live.push(event),
      logger,
    });
    // Each process (and the inline executor) builds its prelude on its first cold start, which
    // takes seconds on a loaded machine: done here, with a deadline no case has.
    const roomy = () => invocationContext({ deadline: Date.now() + 120_000 });
    const warmUps = [0, 1].map(async (index) => {
      for (;;) {
        const fn = await bundles.spec('sleep', { name: uniqueName('warm-up') });
        if (stickyIndex(fn, 2) === index)
          return valueOf(await hosted.invoke(fn, eventPayload(null), roomy()));
      }
    });
    const fn = await bundles.spec('sleep', { name: uniqueName('warm-up') });
    await Promise.all([...warmUps, inline.invoke(fn, eventPayload(null), roomy()).then(valueOf)]);
  });
  after(() => Promise.all([inline.dispose(), hosted.dispose()]));

  for (const c of CONFORMANCE_CASES) {
    test(c.name, async () => {
      const source = await bundleFunction(c.fixture);
      const fn = bundles.specForCode(uniqueName(c.fixture), source, {
        memoryMb: 128,
        concurrency: 1,
        ...c.spec,
      });
      const [a, b] = await Promise.all([
        inline.invoke(fn, c.payload, c.ctx()),
        hosted.invoke(fn, c.payload, c.ctx()),
      ]);
      c.check(b);
      const comparable = c.comparable ?? comparableOutcome;
      assert.deepEqual(comparable(b), comparable(a));
    });
  }

  test('a warm isolate in a host process is reused: module state survives, no second cold start', async () => {
    const fn = await bundles.spec('counter', { name: uniqueName('counter') });
    const loads = bundles.loads;
    const first = await hosted.invoke(fn, eventPayload(null), invocationContext());
    const second = await hosted.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(first.coldStart, true);
    assert.equal(second.coldStart, false);
    assert.deepEqual([valueOf(first), valueOf(second)], [1, 2]);
    assert.equal(typeof second.cpuMs, 'number');
    assert.equal(bundles.loads - loads, 1, 'the bundle crossed to the host process once');
    assert.ok(hosted.stats().instances >= 1);
  });

  test('console lines reach onLog live, tagged with the function and invocation', async () => {
    const fn = await bundles.spec('console-log', { name: uniqueName('console') });
    const ctx = invocationContext();
    const outcome = await hosted.invoke(fn, eventPayload({ tag: 'live' }), ctx);
    assert.equal(valueOf(outcome), 'live');
    const mine = live.filter((event) => event.invocationId === ctx.id);
    assert.deepEqual(
      mine.map((event) => [event.fn, event.entry.message.split('\n')[0]]),
      outcome.logs.map((entry) => [fn.name, entry.message.split('\n')[0]]),
    );
  });

  test('prewarm boots isolates in the host process ahead of the first invocation', async () => {
    const fn = await bundles.spec('hello', { name: uniqueName('hello'), concurrency: 2 });
    await hosted.prewarm(fn, 1);
    const outcome = await hosted.invoke(
      fn,
      { kind: 'http', request: { method: 'GET', url: 'http://x/', headers: [] } },
      invocationContext(),
    );
    assert.equal(responseOf(outcome).status, 201);
    assert.equal(outcome.coldStart, false);
  });

  test("the host processes' own log lines reach the node's logger", async () => {
    const fn = await bundles.spec('init-throws', { name: uniqueName('init-throws') });
    await hosted.prewarm(fn, 1);
    const warned = lines.find(
      (l) =>
        l.msg?.startsWith('prewarming an isolate failed') && 'fn' in l.obj && l.obj.fn === fn.name,
    );
    assert.ok(warned, JSON.stringify(lines));
    assert.equal(warned.level, 'warn');
    assert.ok('pid' in warned.obj && hosted.pids.includes(Number(warned.obj.pid)));
  });

  test('evict disposes the warm isolates of other versions in every host process', async () => {
    const name = uniqueName('counter');
    const v1 = await bundles.spec('counter', { name, version: 1 });
    const v2 = await bundles.spec('counter', { name, version: 2 });
    await hosted.invoke(v1, eventPayload(null), invocationContext());
    await hosted.evict(name, 2);
    const again = await hosted.invoke(v1, eventPayload(null), invocationContext());
    assert.equal(again.coldStart, true, 'v1 starts cold after its eviction');
    assert.equal(valueOf(again), 1);
    assert.equal(valueOf(await hosted.invoke(v2, eventPayload(null), invocationContext())), 1);
  });
});
