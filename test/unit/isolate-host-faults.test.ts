/**
 * Crash containment: a host process killed mid-invocation fails just the invocations in flight on
 * it with ISOLATE_HOST_CRASHED (retryable), is restarted, and the next invocation succeeds, while
 * this (the parent) process carries on; a process that cannot start backs off and reports
 * ISOLATE_HOST_UNAVAILABLE instead of spinning; a wedged process is killed past the deadline; and
 * dispose leaves no process behind.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LiveLogEvent } from '../../runtime/isolate/isolate-executor.ts';
import {
  IsolateHostExecutor,
  stickyIndex,
} from '../../runtime/isolate-host/isolate-host-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';
import { waitFor } from '../support/inbox.ts';

const bundles = new FixtureBundles();
const dir = mkdtempSync(join(tmpdir(), 'fjord-isolate-host-'));
const executors: IsolateHostExecutor[] = [];
after(async () => {
  await Promise.all(executors.map((e) => e.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

function executor(options: Partial<ConstructorParameters<typeof IsolateHostExecutor>[0]> = {}) {
  const created = new IsolateHostExecutor({ loadCode: bundles.load, processes: 1, ...options });
  executors.push(created);
  return created;
}

/**
 * A deadline no busy machine reaches: a restarted process builds its prelude again before its
 * first cold start, which can take seconds when the machine is loaded.
 */
function roomy() {
  return invocationContext({ deadline: Date.now() + 120_000 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('kill -9 of the host process mid-invocation: ISOLATE_HOST_CRASHED, then a restarted process serves', async () => {
  const started = new EventTarget();
  const host = executor({
    onLog: (event: LiveLogEvent) => started.dispatchEvent(new Event(event.invocationId)),
  });
  const hang = await bundles.spec('timers-then-hang', { name: uniqueName('hang') });
  const ctx = roomy();
  const running = once(started, ctx.id);
  const inFlight = host.invoke(hang, eventPayload(null), ctx);
  await running; // The function logged: it is running inside the host process now.
  const [pid] = host.pids;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGKILL');

  const outcome = await inFlight;
  const error = errorOf(outcome);
  assert.equal(error.code, 'ISOLATE_HOST_CRASHED');
  assert.match(error.message, /was killed by SIGKILL/);
  assert.equal(outcome.ok ? undefined : outcome.error.retryable, true);

  const counter = await bundles.spec('counter', { name: uniqueName('counter') });
  const next = await host.invoke(counter, eventPayload(null), roomy());
  assert.equal(valueOf(next), 1);
  assert.equal(host.restarts, 1);
  assert.notEqual(host.pids[0], pid, 'a new process');
  assert.equal(alive(pid), false);
});

test('runs sent ahead, waiting in a killed process for their isolate, run in the restarted one; the started run fails', async () => {
  const host = executor();
  const fn = await bundles.spec('sleep', { name: uniqueName('sleep'), concurrency: 1 });
  valueOf(await host.invoke(fn, eventPayload({ ms: 0 }), roomy())); // warm, and ready
  const running = host.invoke(fn, eventPayload({ ms: 600_000 }), roomy());
  await waitFor(() => host.started === 1, { what: 'the long run to have its isolate' });
  // Sent ahead of the busy isolate (concurrency 1) as the node sends them, a latest end beyond
  // their timeout (runtime/latest-end.ts): they wait in the process for it.
  const ahead = () => invocationContext({ deadline: Date.now() + 120_000, timeoutMs: 30_000 });
  const waiting = [0, 1].map(() => host.invoke(fn, eventPayload({ ms: 0 }), ahead()));
  // Invocations leave at the end of the turn (invoke-batch.ts); the process handles messages in
  // order, so once it answered an evict sent after them, it holds the two.
  await nextTurn();
  await host.evict(uniqueName('none'));
  assert.equal(host.started, 1, 'the two wait: they have no isolate yet');
  const [pid] = host.pids;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGKILL');

  assert.equal(errorOf(await running).code, 'ISOLATE_HOST_CRASHED');
  const values = (await Promise.all(waiting)).map((outcome) => valueOf(outcome));
  assert.deepEqual(values.sort(), [1, 2], 'both ran, in a new isolate of the restarted process');
  assert.equal(host.restarts, 1);
});

test('a process that stops answering during a run is killed one timeout after its lease, not at its latest end', async () => {
  const host = executor({ unresponsiveGraceMs: 200 });
  const fn = await bundles.spec('sleep', { name: uniqueName('sleep'), concurrency: 1 });
  valueOf(await host.invoke(fn, eventPayload({ ms: 0 }), roomy()));
  // As the node sends runs ahead: a latest end far away (past this test's timeout), and the
  // timeout itself, which the child would enforce had it not stopped.
  const ctx = invocationContext({ deadline: Date.now() + 600_000, timeoutMs: 1_000 });
  const outcome = host.invoke(fn, eventPayload({ ms: 600_000 }), ctx);
  await waitFor(() => host.started === 1, { what: 'the run to have its isolate' });
  const [pid] = host.pids;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGSTOP'); // Wedged: alive, but never answers.
  assert.equal(errorOf(await outcome).code, 'ISOLATE_HOST_CRASHED');
  assert.equal(alive(pid), false);
});

test('with two host processes, killing one leaves the warm isolates of the other untouched', async () => {
  const host = executor({ processes: 2 });
  /** A counter function whose version lives in host process `index`. */
  const counterOn = async (index: number) => {
    for (;;) {
      const fn = await bundles.spec('counter', { name: uniqueName('counter') });
      if (stickyIndex(fn, 2) === index) return fn;
    }
  };
  const [onVictim, onSurvivor] = [await counterOn(0), await counterOn(1)];
  // A version whose own process is still starting goes to a ready one; both must be ready for
  // each version to live where the test expects.
  await waitFor(() => host.ready === 2, { what: 'both host processes to be ready' });
  assert.equal(valueOf(await host.invoke(onVictim, eventPayload(null), roomy())), 1);
  assert.equal(valueOf(await host.invoke(onSurvivor, eventPayload(null), roomy())), 1);
  const [victim] = host.pids; // The process at index 0: both have a pid once ready.
  assert.ok(victim !== undefined);
  process.kill(victim, 'SIGKILL');
  await waitFor(() => !alive(victim) && host.restarts === 1, { what: 'the victim to be replaced' });

  const survivor = await host.invoke(onSurvivor, eventPayload(null), roomy());
  assert.equal(valueOf(survivor), 2, 'module state in the other process survived');
  assert.equal(survivor.coldStart, false);
  const restarted = await host.invoke(onVictim, eventPayload(null), roomy());
  assert.equal(valueOf(restarted), 1, 'the killed process took its isolates with it');
  assert.equal(restarted.coldStart, true);
});

test("a function's runs stay on the process of its runs in flight, even once its own is back", async () => {
  // Runs sent ahead of free isolates must never wait in two processes, each running up to
  // `concurrency`: after its own process died, a function's runs go to the other until none is
  // in flight there.
  const host = executor({ processes: 2 });
  let fn = await bundles.spec('sleep', { name: uniqueName('sleep'), concurrency: 1 });
  while (stickyIndex(fn, 2) !== 0) {
    fn = await bundles.spec('sleep', { name: uniqueName('sleep'), concurrency: 1 });
  }
  await waitFor(() => host.ready === 2, { what: 'both host processes to be ready' });
  const [own] = host.pids;
  assert.ok(own !== undefined);
  process.kill(own, 'SIGKILL');
  await waitFor(() => host.ready === 1, { what: 'the killed process to be down' });
  // On the other process, long enough for the killed one to come back meanwhile.
  let firstDone = false;
  const first = host.invoke(fn, eventPayload({ ms: 10_000 }), roomy());
  void first.then(() => (firstDone = true));
  await waitFor(() => host.ready === 2, { what: 'the killed process to be back' });
  assert.equal(firstDone, false, 'the first run was still in flight when its own process was back');
  const second = await host.invoke(fn, eventPayload({ ms: 0 }), roomy());
  assert.equal(valueOf(await first), 1);
  // Its own process has no isolate of it: a run there would be a cold start, its first call.
  assert.equal(valueOf(second), 2, 'it ran in the isolate of the first run, after it');
  assert.equal(second.coldStart, false);
});

test("while a function's own process is starting, its later runs wait there too, not beside", async () => {
  // Each child holds its 'ready' until the test creates its go file: runs parked on a starting
  // process run once it is ready, beside any run sent to another process meanwhile.
  const entry = join(dir, 'held-ready-child.mjs');
  const child = new URL('../../runtime/isolate-host/host-child.ts', import.meta.url).pathname;
  const goFile = (pid: number) => join(dir, `go-${pid}`);
  writeFileSync(
    entry,
    `import { existsSync } from 'node:fs';
const go = ${JSON.stringify(dir)} + '/go-' + process.pid;
const send = process.send.bind(process);
process.send = (message, ...rest) => {
  if (message?.type !== 'ready' || existsSync(go)) return send(message, ...rest);
  const poll = setInterval(() => {
    if (!existsSync(go)) return;
    clearInterval(poll);
    send(message, ...rest);
  }, 20);
  return true;
};
await import(${JSON.stringify(child)});
`,
  );
  let fn = await bundles.spec('sleep', { name: uniqueName('sleep'), concurrency: 1 });
  while (stickyIndex(fn, 2) !== 0) {
    fn = await bundles.spec('sleep', { name: uniqueName('sleep'), concurrency: 1 });
  }
  const host = executor({ processes: 2, entry });
  const [own, other] = host.pids;
  assert.ok(own !== undefined && other !== undefined);
  // Nothing is ready: the first run waits for its own process.
  const first = host.invoke(fn, eventPayload({ ms: 300 }), roomy());
  writeFileSync(goFile(other), '');
  await waitFor(() => host.ready === 1, { what: 'the other process to be ready' });
  const second = host.invoke(fn, eventPayload({ ms: 0 }), roomy());
  writeFileSync(goFile(own), '');
  const [a, b] = await Promise.all([first, second]);
  assert.deepEqual(
    [valueOf(a), valueOf(b)],
    [1, 2],
    'both ran in one isolate, one after the other',
  );
  assert.ok(a.ran !== undefined && b.ran !== undefined);
  assert.ok(b.ran.startedAt >= a.ran.startedAt + 300, 'the second waited for the first');
});

test('a host process that crashes at start backs off and reports ISOLATE_HOST_UNAVAILABLE', async () => {
  const starts = join(dir, 'starts.log');
  const entry = join(dir, 'crashing-child.mjs');
  writeFileSync(
    entry,
    `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(starts)}, 'start\\n');\nprocess.exit(3);\n`,
  );
  const host = executor({
    entry,
    restartBackoffMs: 100,
    maxRestartBackoffMs: 60_000,
    crashLoopAfter: 3,
  });
  const fn = await bundles.spec('counter', { name: uniqueName('counter') });
  const error = errorOf(await host.invoke(fn, eventPayload(null), roomy()));
  assert.equal(error.code, 'ISOLATE_HOST_UNAVAILABLE');
  assert.match(error.message, /failed to start 3 times in a row \(last: it exited with code 3\)/);
  assert.match(error.message, /backoff \(400 ms\)/, 'the delay doubled: 100, 200, 400 ms');

  // In backoff, an invocation fails at once; the starts so far are the failures it reports (plus
  // perhaps the one under way), not a tight loop.
  const later = errorOf(await host.invoke(fn, eventPayload(null), roomy()));
  assert.equal(later.code, 'ISOLATE_HOST_UNAVAILABLE');
  const failed = Number(/failed to start (\d+) times/.exec(later.message)?.[1]);
  const count = readFileSync(starts, 'utf8').split('\n').filter(Boolean).length;
  assert.ok(count === failed || count === failed + 1, `${count} starts for ${failed} failures`);
});

test('a host process that stops answering is killed once the deadline and grace have passed', async () => {
  const host = executor({ unresponsiveGraceMs: 200 });
  const fn = await bundles.spec('counter', { name: uniqueName('counter') });
  valueOf(await host.invoke(fn, eventPayload(null), roomy()));
  const [pid] = host.pids;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGSTOP'); // Wedged: alive, but never answers.
  const outcome = await host.invoke(
    fn,
    eventPayload(null),
    invocationContext({ deadline: Date.now() + 300 }),
  );
  assert.equal(errorOf(outcome).code, 'ISOLATE_HOST_CRASHED');
  assert.equal(alive(pid), false);
  assert.equal(valueOf(await host.invoke(fn, eventPayload(null), roomy())), 1);
});

test(
  "a host process that wedges during shutdown is still killed at its invocations' deadline and grace",
  { timeout: 60_000 },
  async (t) => {
    // A dispose timeout no test waits for: only the invocation's watchdog can end this process.
    const host = new IsolateHostExecutor({
      loadCode: bundles.load,
      processes: 1,
      unresponsiveGraceMs: 200,
      disposeTimeoutMs: 600_000,
    });
    const fn = await bundles.spec('counter', { name: uniqueName('counter') });
    valueOf(await host.invoke(fn, eventPayload(null), roomy()));
    const [pid] = host.pids;
    assert.ok(pid !== undefined);
    t.after(() => {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    });
    process.kill(pid, 'SIGSTOP');
    const outcome = host.invoke(
      fn,
      eventPayload(null),
      invocationContext({ deadline: Date.now() + 300 }),
    );
    const disposed = host.dispose();
    // Killed while the executor shuts down: the invocation fails as shut down, not crashed.
    assert.equal(errorOf(await outcome).code, 'NO_CAPACITY');
    await disposed;
    assert.equal(alive(pid), false);
  },
);

test('SIGINT and SIGTERM (Ctrl-C, a cgroup-wide stop) leave a host process serving until the node disposes it', async () => {
  const host = executor();
  const fn = await bundles.spec('counter', { name: uniqueName('counter') });
  assert.equal(valueOf(await host.invoke(fn, eventPayload(null), roomy())), 1);
  const [pid] = host.pids;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGINT');
  process.kill(pid, 'SIGTERM');
  // Unhandled, either signal would end the process before it reads the next message.
  assert.equal(valueOf(await host.invoke(fn, eventPayload(null), roomy())), 2);
  assert.deepEqual(host.pids, [pid]);
  assert.equal(host.restarts, 0);
});

test("a host process does not inherit the node's tokens or URLs, only what Node needs", async () => {
  process.env.FN_TOKEN = 'fn-secret-token';
  let host: IsolateHostExecutor;
  try {
    host = executor();
  } finally {
    delete process.env.FN_TOKEN;
  }
  const fn = await bundles.spec('counter', { name: uniqueName('counter') });
  valueOf(await host.invoke(fn, eventPayload(null), roomy()));
  const [pid] = host.pids;
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  assert.ok(!environ.some((entry) => entry.includes('fn-secret-token')), environ.join(' '));
  assert.ok(environ.some((entry) => entry.startsWith('PATH=')));
});

test('dispose ends every host process and later invocations fail with NO_CAPACITY', async () => {
  const host = new IsolateHostExecutor({ loadCode: bundles.load, processes: 2 });
  const fn = await bundles.spec('counter', { name: uniqueName('counter') });
  valueOf(await host.invoke(fn, eventPayload(null), roomy()));
  const pids = host.pids;
  assert.equal(pids.length, 2);
  await host.dispose();
  assert.deepEqual(pids.filter(alive), []);
  assert.deepEqual(host.pids, []);
  const error = errorOf(await host.invoke(fn, eventPayload(null), roomy()));
  assert.equal(error.code, 'NO_CAPACITY');
});
