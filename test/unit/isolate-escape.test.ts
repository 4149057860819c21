/**
 * Escape attempts, in the spirit of Temporal's test-isolation: code inside an isolate must not
 * reach Node (process, require, host modules), isolated-vm's objects, the host's realm, or
 * another function's globals and env, whatever it does to its own realm.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  bodyBytes,
  errorOf,
  eventPayload,
  httpPayload,
  invocationContext,
  responseOf,
  valueOf,
} from '../fixtures/bundles/invocations.ts';

describe('isolate sandbox: escape attempts', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  after(() => executor.dispose());

  test('no Node global, host module, Function-constructor path or isolated-vm object is reachable', async () => {
    const fn = await fixtures.spec('escape-attempts');
    const seen = valueOf(await executor.invoke(fn, eventPayload(null), invocationContext())) as {
      scan: { visited: number; hostLike: string[] };
      frames: string[];
    } & Record<string, unknown>;
    assert.deepEqual(seen.nodeGlobals, []);
    assert.deepEqual(seen.imports, {
      nodeFs: 'threw Error',
      childProcess: 'threw Error',
      isolatedVm: 'threw Error',
      file: 'threw Error',
    });
    assert.deepEqual(seen.functionConstructor, {
      sameGlobal: true,
      process: 'threw ReferenceError',
      require: 'threw ReferenceError',
      asyncProcess: 'threw ReferenceError',
      fromConsole: true,
      fromFetch: 'threw ReferenceError',
      evalProcess: 'threw ReferenceError',
    });
    // Stack frames only ever show code inside the isolate: the function and the prelude.
    for (const frame of seen.frames) assert.match(frame, /^(function|undefined) fjord:/);
    assert.equal(seen.hostErrorName, 'NotSupportedError');
    assert.equal(seen.hostErrorMentionsHost, false, 'a host error carries no host paths');
    assert.ok(seen.scan.visited > 1000, `the scan walked ${seen.scan.visited} objects`);
    assert.deepEqual(seen.scan.hostLike, []);
  });

  test('prototype pollution stays in its isolate; the host validates what comes out', async () => {
    const polluter = await fixtures.spec('pollute');
    const response = responseOf(
      await executor.invoke(
        polluter,
        httpPayload('GET', 'http://fjord.test/'),
        invocationContext(),
      ),
    );
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers, [
      ['content-type', 'text/plain;charset=UTF-8'],
      ['x-own', 'header'],
    ]);
    assert.equal(bodyBytes(response).toString(), 'still fine');
    assert.equal(
      ({} as Record<string, unknown>).polluted,
      undefined,
      'the host realm is untouched',
    );
    assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined);

    const tampered = errorOf(
      await executor.invoke(
        polluter,
        httpPayload('GET', 'http://fjord.test/?tamper'),
        invocationContext(),
      ),
    );
    assert.equal(tampered.code, 'BAD_FUNCTION_RESPONSE');
    assert.match(tampered.message, /malformed header list/);

    const probe = await fixtures.spec('globals-probe');
    const other = valueOf(await executor.invoke(probe, eventPayload(null), invocationContext()));
    assert.equal((other as { polluted: unknown }).polluted, null, 'another function is unaffected');
  });

  test("one function's globals and env are invisible to another, even running the same code", async () => {
    const secret = `alpha-${Date.now()}`;
    const a = await fixtures.spec('globals-probe', {
      name: 'probe-a',
      env: { SECRET_A: secret },
    });
    const b = await fixtures.spec('globals-probe', { name: 'probe-b', env: { OWN: 'b' } });
    const look = [secret, 'set-by-a'];
    const first = valueOf(
      await executor.invoke(a, eventPayload({ set: 'set-by-a', look }), invocationContext()),
    );
    assert.deepEqual(first, {
      before: null,
      env: { SECRET_A: secret },
      polluted: null,
      found: [secret, 'set-by-a'],
    });
    const fromB = valueOf(await executor.invoke(b, eventPayload({ look }), invocationContext()));
    assert.deepEqual(fromB, { before: null, env: { OWN: 'b' }, polluted: null, found: [] });
    // Within one function a warm isolate keeps its globals, as Workers does.
    const again = valueOf(await executor.invoke(a, eventPayload({ look }), invocationContext()));
    assert.equal((again as { before: unknown }).before, 'set-by-a');
  });
});
