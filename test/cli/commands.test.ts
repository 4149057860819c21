/**
 * The function commands against a stand-in gateway that answers as core/api.ts says, so what
 * each command sends and prints is checked without the real stack.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DeployRequest, FunctionView, InvocationView } from '../../core/api.ts';
import {
  startStandInGateway,
  type Reply,
  type Seen,
  type StandInGateway,
} from './stand-in-gateway.ts';

const HELLO = fileURLToPath(new URL('../../functions/hello/', import.meta.url));

let stand: StandInGateway;
let gateway: string;
let seen: Seen[];
/** What the stand-in answers, by "METHOD /path"; 404 for anything else. */
let replies: Map<string, Reply>;

before(async () => {
  stand = await startStandInGateway({
    status: 404,
    body: { error: { code: 'FUNCTION_NOT_FOUND', message: 'function "x" does not exist' } },
  });
  ({ url: gateway, seen, replies } = stand);
});

after(() => {
  stand.close();
});

const fn = (...args: string[]) => stand.fn(HELLO, ...args);

const view = (version: number): FunctionView =>
  ({ name: 'hello', version, url: '/fn/hello', bundleSize: 1234 }) as FunctionView;

describe('function commands', () => {
  it('deploy bundles the folder, PUTs it with the token, prints version, URL and size', async () => {
    replies.set('PUT /v1/functions/hello', {
      status: 201,
      body: { function: view(3), created: true },
    });
    const { code, stdout, stderr } = await fn('deploy', '--no-typecheck');
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `deployed hello version 3 (1.8 kB)\n  ${gateway}/fn/hello\n`);
    assert.match(stderr, /^bundling index\.ts\.\.\.$/m);
    const put = seen.at(-1);
    assert.equal(put?.authorization, 'Bearer secret');
    const body = JSON.parse(put?.body ?? '') as DeployRequest;
    assert.equal((body.manifest as { name: string }).name, 'hello');
    assert.match(body.bundle, /^("use strict";\n)?var __fjord_module = /);
    // A source map by default, so the function's error stacks name its source (--no-sourcemap).
    assert.match(body.bundle, /\n\/\/# sourceMappingURL=data:application\/json;base64,/);
  });

  it('deploy over the size limit points at --no-sourcemap while the map is in', async () => {
    replies.set('PUT /v1/functions/hello', {
      status: 413,
      body: {
        error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than 1 bytes' },
      },
    });
    const mapped = await fn('deploy', '--no-typecheck');
    assert.equal(mapped.code, 1);
    assert.match(
      mapped.stderr,
      /^error: request body is larger than 1 bytes \(PAYLOAD_TOO_LARGE\)$/m,
    );
    assert.match(
      mapped.stderr,
      /^hint: the bundle \(.+\) includes its source map: `fn deploy --no-sourcemap` leaves it out/m,
    );
    const unmapped = await fn('deploy', '--no-typecheck', '--no-sourcemap');
    assert.match(
      unmapped.stderr,
      /^hint: the bundle \(.+\) is over the gateway's limit: make it smaller$/m,
    );
  });

  it('deploy says "unchanged" when the gateway created no version', async () => {
    replies.set('PUT /v1/functions/hello', {
      status: 201,
      body: { function: view(3), created: false },
    });
    const { stdout } = await fn('deploy', '.', '--no-typecheck');
    assert.match(stdout, /^hello unchanged: version 3/);
  });

  it('invoke prints the result, logs to stderr; a failure exits 1 with the error', async () => {
    const path = 'POST /v1/functions/hello/invocations?wait=true';
    const succeeded = { id: 'i1', status: 'succeeded', result: { ok: true }, logs: [] };
    replies.set(path, { status: 200, body: succeeded });
    const ok = await fn('invoke', 'hello', '--data', '{"name":"Ada"}');
    assert.equal(ok.code, 0);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true });
    assert.equal(seen.at(-1)?.body, '{"name":"Ada"}');

    const failed: Partial<InvocationView> = {
      id: 'i2',
      status: 'failed',
      error: { code: 'FUNCTION_ERROR', message: 'boom' },
      logs: [{ ts: 0, level: 'error', message: 'about to fail' }],
    };
    replies.set(path, { status: 502, body: failed });
    const bad = await fn('invoke', 'hello');
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^\[error\] about to fail$/m);
    assert.match(bad.stderr, /^error: boom \(FUNCTION_ERROR\)$/m);
    assert.match(bad.stderr, /^hint: .*`fn status i2`/m);
  });

  it('status shows the attempt history and the callback outcome', async () => {
    const record: Partial<InvocationView> = {
      id: 'i3',
      status: 'succeeded',
      fn: 'hello',
      version: 2,
      attempts: 2,
      queuedAt: '2026-11-23T05:00:00.000Z',
      result: { ok: true },
      history: [
        {
          attempt: 1,
          status: 'failed',
          node: 'node-a',
          startedAt: '2026-11-23T05:00:00.010Z',
          error: { code: 'INVOCATION_TIMEOUT', message: 'took longer than 100 ms\nat stack' },
        },
        { attempt: 2, status: 'succeeded', node: 'node-b', startedAt: '2026-11-23T05:00:01.000Z' },
      ],
      callback: {
        url: 'http://127.0.0.1:9/done',
        state: 'failed',
        attempts: 3,
        lastStatus: 500,
      },
      logs: [],
    };
    replies.set('GET /v1/invocations/i3', { status: 200, body: record });
    const shown = await fn('status', 'i3');
    assert.equal(shown.code, 0);
    const lines = shown.stdout.split('\n');
    assert.ok(lines.includes('  history:'), shown.stdout);
    assert.ok(
      lines.includes(
        '    #1  failed     on node-a  2026-11-23T05:00:00.010Z  INVOCATION_TIMEOUT: took longer than 100 ms',
      ),
      shown.stdout,
    );
    assert.ok(
      lines.includes('    #2  succeeded  on node-b  2026-11-23T05:00:01.000Z'),
      shown.stdout,
    );
    assert.ok(
      lines.includes('  callback: http://127.0.0.1:9/done (failed after 3 tries, last: HTTP 500)'),
      shown.stdout,
    );

    replies.set('GET /v1/invocations/i4', {
      status: 200,
      body: {
        ...record,
        id: 'i4',
        history: [],
        callback: {
          url: 'http://127.0.0.1:9/done',
          state: 'delivered',
          attempts: 1,
          lastStatus: 200,
          deliveredAt: '2026-11-23T05:00:02.000Z',
        },
      },
    });
    const delivered = await fn('status', 'i4');
    assert.doesNotMatch(delivered.stdout, /history:/);
    assert.match(
      delivered.stdout,
      /^ {2}callback: http:\/\/127\.0\.0\.1:9\/done \(delivered at 2026-11-23T05:00:02\.000Z after 1 try\)$/m,
    );
  });

  it('status prints the stack of a function error under the error', async () => {
    const stack =
      'RangeError: bad input\n    at parse (src/index.ts:5:9)\n    at src/index.ts:8:42';
    replies.set('GET /v1/invocations/i5', {
      status: 200,
      body: {
        id: 'i5',
        status: 'failed',
        fn: 'hello',
        version: 2,
        attempts: 1,
        queuedAt: '2026-11-23T05:00:00.000Z',
        error: { code: 'FUNCTION_ERROR', message: 'bad input', name: 'RangeError', stack },
        logs: [],
      },
    });
    const { stdout } = await fn('status', 'i5');
    assert.match(
      stdout,
      /^ {2}error: {4}bad input \(FUNCTION_ERROR\)\n {12}at parse \(src\/index\.ts:5:9\)\n {12}at src\/index\.ts:8:42$/m,
    );
  });

  it('invoke --async prints the id and the Location', async () => {
    replies.set('POST /v1/functions/hello/invocations', {
      status: 202,
      body: { id: 'i3' },
      headers: { location: '/v1/invocations/i3' },
    });
    const { stdout } = await fn('invoke', 'hello', '--async', '--json');
    assert.deepEqual(JSON.parse(stdout), { id: 'i3', location: `${gateway}/v1/invocations/i3` });
  });

  it('gateway errors print the message, the code and what to do next', async () => {
    const unknown = await fn('versions', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: function "x" does not exist \(FUNCTION_NOT_FOUND\)$/m);
    assert.match(unknown.stderr, /^hint: `fn ls` lists functions/m);

    replies.set('GET /v1/functions', {
      status: 401,
      body: { error: { code: 'UNAUTHORIZED', message: 'missing or invalid token' } },
    });
    const denied = await fn('ls');
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^hint: run `fn up` .* or pass --token/m);

    replies.set('DELETE /v1/functions/hello/secrets/API_KEY', {
      status: 404,
      body: {
        error: { code: 'SECRET_NOT_FOUND', message: 'function hello has no secret API_KEY' },
      },
    });
    const unset = await fn('secret', 'rm', 'hello', 'API_KEY');
    assert.equal(unset.code, 1);
    assert.match(
      unset.stderr,
      /^hint: `fn secret ls NAME` lists the secrets set for the function$/m,
    );
  });

  it('rollback --to sends the version; rm deletes', async () => {
    replies.set('POST /v1/functions/hello/rollback', { status: 200, body: view(1) });
    assert.equal(
      (await fn('rollback', 'hello', '--to', '1')).stdout,
      'hello is now at version 1\n',
    );
    assert.equal(seen.at(-1)?.body, '{"version":1}');
    replies.set('DELETE /v1/functions/hello', { status: 204 });
    assert.equal((await fn('rm', 'hello', '--json')).stdout, '{"deleted":"hello"}\n');
  });
});
