/** The limit flags of `fn up` and `fn gateway`: bad values stop the command before it starts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFn } from './support/fn-process.ts';

const cases: [string[], Record<string, string>, RegExp][] = [
  [['--max-queued', 'many'], {}, /--max-queued must be a whole number, got "many"/],
  [['--token-rate-limit', '0'], {}, /--token-rate-limit must be N or N:BURST .* got "0"/],
  [['--function-rate-limit', '5:0'], {}, /--function-rate-limit must be N or N:BURST/],
  [[], { FN_TOKEN_RATE_LIMIT: 'fast' }, /--token-rate-limit must be N or N:BURST .* got "fast"/],
];

for (const [flags, env, message] of cases) {
  test(`fn gateway ${flags.join(' ') || JSON.stringify(env)} is a usage error`, async () => {
    // Refused before any connection: the broker URL is never dialled.
    const result = await runFn(['gateway', '--broker', 'amqp://127.0.0.1:1', ...flags], { env });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  });
}
