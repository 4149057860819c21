/**
 * Store contract, several gateways: two stores on one database (two gateways sharing it) race
 * for the same claims. Every race has exactly one winner, whatever the interleaving.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Store } from '../../core/store.ts';
import type { Opener } from './store.contract.ts';
import { TICK } from './store-contract-schedule.ts';
import { lines, manifest, queued, result } from './store-fixtures.ts';

/** Calls per store in each race: enough to keep both stores' connections busy at once. */
const RACERS = 8;

export function gatewayCases({ open }: Opener): void {
  async function twoGateways(t: TestContext): Promise<[Store, Store]> {
    const { store: a, location } = await open(t);
    const { store: b } = await open(t, location);
    return [a, b];
  }

  /** Runs `call` RACERS times on each store, all at once, with the racer's number. */
  function race<T>(stores: Store[], call: (store: Store, n: number) => Promise<T>): Promise<T[]> {
    return Promise.all(
      Array.from({ length: RACERS * stores.length }, (_, n) =>
        call(stores[n % stores.length] as Store, n),
      ),
    );
  }

  test('two gateways racing for one schedule tick: exactly one claims it', async (t) => {
    const gateways = await twoGateways(t);
    for (let tick = 0; tick < 3; tick++) {
      const scheduledAt = TICK + tick * 60_000;
      const won = await race(gateways, (store, n) =>
        store.claimScheduledRun({
          fn: 'cron-race',
          scheduledAt,
          invocationId: `inv-${tick}-${n}`,
          now: scheduledAt + 1,
        }),
      );
      assert.equal(won.filter(Boolean).length, 1, `tick ${tick}`);
    }
  });

  test('two gateways racing for one Idempotency-Key: one claims it, all others see its invocation', async (t) => {
    const gateways = await twoGateways(t);
    const claim = { fn: 'hello', key: 'order-7', fingerprint: 'f', now: 100, expiresAt: 10_000 };
    const outcomes = await race(gateways, (store, n) =>
      store.claimIdempotencyKey({ ...claim, invocationId: `inv-${n}` }),
    );
    const winners = outcomes.flatMap((outcome, n) => (outcome === undefined ? [n] : []));
    assert.equal(winners.length, 1);
    const winner = `inv-${winners[0]}`;
    for (const outcome of outcomes) {
      if (outcome !== undefined)
        assert.deepEqual(outcome, { invocationId: winner, fingerprint: 'f' });
    }
  });

  test('deploys of one function through two gateways get distinct version numbers', async (t) => {
    const gateways = await twoGateways(t);
    const versions = await race(gateways, (store, n) =>
      store.createVersion(manifest('busy'), `export default ${n};`),
    );
    const numbers = versions.map((v) => v.version).sort((x, y) => x - y);
    assert.deepEqual(
      numbers,
      Array.from({ length: numbers.length }, (_, i) => i + 1),
    );
    const [a] = gateways;
    assert.equal((await a.getFunction('busy'))?.activeVersion, numbers.length);
    assert.equal((await a.listVersions('busy')).length, numbers.length);
  });

  test('one result recorded through two gateways at once is recorded once, logs included', async (t) => {
    const gateways = await twoGateways(t);
    const [a] = gateways;
    await a.createInvocation(queued('inv-twice'));
    const failed = { status: 'failed', error: { code: 'INTERNAL', message: 'x' } } as const;
    const once = result('inv-twice', { attempt: 2, ...failed, logs: lines('a', 'b', 'c') });
    await race(gateways, (store) => store.recordResult(structuredClone(once)));
    assert.deepEqual(
      (await a.listLogs('hello')).map((l) => l.message),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      (await a.listAttempts('inv-twice')).map((x) => x.attempt),
      [2],
    );
    assert.equal((await a.getInvocation('inv-twice'))?.status, 'failed');
  });

  test('due callbacks are leased to one gateway at a time', async (t) => {
    const gateways = await twoGateways(t);
    const [a] = gateways;
    const ids = Array.from({ length: 6 }, (_, i) => `inv-cb-${i}`);
    for (const id of ids) {
      await a.createInvocation(queued(id), { callbackUrl: 'http://127.0.0.1:9/hook' });
      await a.recordResult(result(id));
    }
    const now = Date.now() + 1000;
    const leased = await race(gateways, (store) => store.claimCallbacks(now, 2, now + 60_000));
    const taken = leased.flat().map((task) => task.invocationId);
    assert.deepEqual([...taken].sort(), ids, 'each callback leased exactly once');
  });

  test('a callback registered through one gateway is made due by a burst another records', async (t) => {
    const [a, b] = await twoGateways(t);
    const url = 'http://127.0.0.1:9/hook';
    // b records bursts without callbacks before and after a registers one, in one group commit.
    await b.recordResults([result('inv-plain-0')]);
    await a.createInvocation(queued('inv-hooked'), { callbackUrl: url });
    await Promise.all([
      b.recordResults([result('inv-plain-1'), result('inv-hooked'), result('inv-plain-2')]),
      b.recordResults([result('inv-plain-3')]),
    ]);
    assert.equal((await b.getInvocation('inv-hooked'))?.callback?.state, 'pending');
    const now = Date.now() + 1000;
    assert.deepEqual(await b.claimCallbacks(now, 10, now + 500), [
      { invocationId: 'inv-hooked', url, attempts: 0 },
    ]);
    // Acceptance and result in one group commit of one gateway: due as well.
    await Promise.all([
      b.recordResults([result('inv-plain-4')]),
      a.createInvocation(queued('inv-hooked-2'), { callbackUrl: url }),
      a.recordResults([result('inv-plain-5'), result('inv-hooked-2')]),
    ]);
    assert.equal((await a.getInvocation('inv-hooked-2'))?.callback?.state, 'pending');
  });

  test('a follower of the logs misses no line while two gateways record results at once', async (t) => {
    const gateways = await twoGateways(t);
    const [a] = gateways;
    let recording = true;
    const seen: string[] = [];
    const follow = async (): Promise<void> => {
      let after = 0;
      // One more read after the recording ended picks up whatever committed last.
      for (let last = false; !last;) {
        last = !recording;
        const page = await a.listLogs('hello', { afterSeq: after, limit: 1000 });
        for (const line of page) seen.push(line.message);
        after = page.at(-1)?.seq ?? after;
        // Not a wait: a turn of the event loop, so a store that commits in a later task (a
        // group commit, a network round trip) is never starved by this loop of reads.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const following = follow();
    const recorded = race(gateways, async (store, n) => {
      for (let i = 0; i < 5; i++) {
        await store.recordResult(
          result(`inv-${n}-${i}`, { logs: lines(`${n}.${i}.a`, `${n}.${i}.b`) }),
        );
      }
    });
    await recorded.finally(() => (recording = false));
    await following;
    const expected = Array.from({ length: RACERS * 2 }, (_, n) =>
      Array.from({ length: 5 }, (_, i) => [`${n}.${i}.a`, `${n}.${i}.b`]),
    ).flat(2);
    assert.equal(seen.length, expected.length, 'every line seen once');
    assert.deepEqual([...seen].sort(), [...expected].sort());
  });
}
