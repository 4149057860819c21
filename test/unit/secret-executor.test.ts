/**
 * SecretExecutor on a real isolate executor: declared secrets reach env, others never do, a
 * rotation reaches the next invocation (the instances loaded with the old value are retired),
 * and a secret that cannot be had fails the invocation with its own code.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { FjordError } from '../../core/errors.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { SecretExecutor } from '../../runtime/secret-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { httpPayload, invocationContext, responseOf } from '../fixtures/bundles/invocations.ts';

interface Probe {
  keys: string[];
  length: number | null;
  sha256: string | null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('secret executor', () => {
  const fixtures = new FixtureBundles();
  let inner: IsolateExecutor;
  let values: Record<string, Record<string, string>>;
  let asked: string[];
  let executor: SecretExecutor;

  beforeEach(() => {
    inner = new IsolateExecutor({ loadCode: fixtures.load });
    values = {};
    asked = [];
    executor = new SecretExecutor(inner, async (fn) => {
      asked.push(fn.name);
      const declared = new Set(fn.secrets);
      const all = values[fn.name] ?? {};
      return Object.fromEntries(Object.entries(all).filter(([key]) => declared.has(key)));
    });
  });
  afterEach(() => executor.dispose());

  const probe = async (fn: FunctionSpec): Promise<Probe> => {
    const outcome = await executor.invoke(fn, httpPayload('GET', 'http://x/'), invocationContext());
    return JSON.parse(Buffer.from(responseOf(outcome).body ?? '', 'base64').toString()) as Probe;
  };

  test('a declared secret is in env, next to the manifest env; an undeclared one is not', async () => {
    const fn = await fixtures.spec('secret-probe', { env: { MODE: 'x' }, secrets: ['API_KEY'] });
    values[fn.name] = { API_KEY: 'value-1', OTHER: 'not declared' };
    const seen = await probe(fn);
    assert.deepEqual(seen, { keys: ['API_KEY', 'MODE'], length: 7, sha256: sha256('value-1') });
    const plain = await fixtures.spec('secret-probe', { name: 'plain-probe' });
    values[plain.name] = { API_KEY: 'value-1' };
    assert.deepEqual((await probe(plain)).keys, []);
    assert.deepEqual(asked, [fn.name], 'a function without secrets costs no lookup');
  });

  test('a rotation reaches the next invocation, through a warm isolate', async () => {
    const fn = await fixtures.spec('secret-probe', { secrets: ['API_KEY'], concurrency: 1 });
    values[fn.name] = { API_KEY: 'value-1' };
    await executor.prewarm(fn, 1);
    assert.equal((await probe(fn)).sha256, sha256('value-1'));
    values[fn.name] = { API_KEY: 'value-two' };
    assert.equal((await probe(fn)).sha256, sha256('value-two'));
    assert.equal((await probe(fn)).sha256, sha256('value-two'));
  });

  test('a declared secret that is not set fails with SECRET_NOT_SET naming the command', async () => {
    const fn = await fixtures.spec('secret-probe', { secrets: ['API_KEY', 'DB_URL'] });
    values[fn.name] = { API_KEY: 'value-1' };
    const outcome = await executor.invoke(fn, httpPayload('GET', 'http://x/'), invocationContext());
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'SECRET_NOT_SET');
    assert.equal(outcome.error.retryable, true);
    assert.match(outcome.error.message, /DB_URL.*fn secret set secret-probe DB_URL/);
    assert.ok(!outcome.error.message.includes('value-1'));
  });

  test('a source that fails fails the invocation with its code, and prewarm skips', async () => {
    const fn = await fixtures.spec('secret-probe', { secrets: ['API_KEY'] });
    const failing = new SecretExecutor(inner, async () => {
      throw new FjordError('SECRETS_UNAVAILABLE', 'the gateway did not answer');
    });
    await failing.prewarm(fn, 1);
    assert.equal(inner.stats().instances, 0);
    const outcome = await failing.invoke(fn, httpPayload('GET', 'http://x/'), invocationContext());
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'SECRETS_UNAVAILABLE');
  });
});
