/** ANY /fn/NAME/... answered synchronously: request and response mapping, failures, auth, limits. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { errorOf, httpRequestOf, resultOf, startHarness } from './harness.ts';

test('an unknown function is 404 before anything is queued', async (t) => {
  const h = await startHarness(t);
  for (const path of ['/fn/missing', '/fn/missing/a/b?x=1', '/fn/Not_A_Name']) {
    const response = await h.request(path, { method: 'POST', body: 'x' });
    assert.equal(response.status, 404, path);
    assert.equal((await errorOf(response)).code, 'FUNCTION_NOT_FOUND');
  }
  const asynchronous = await h.request('/fn/missing', { headers: { prefer: 'respond-async' } });
  assert.equal(asynchronous.status, 404);
  assert.equal(h.broker.attempted.length, 0, 'the broker saw nothing');
});

test('a sync trigger sends the request without the prefix and returns the response exactly', async (t) => {
  const h = await startHarness(t);
  await h.deploy('shop');
  const binary = Buffer.from([0, 255, 1, 254, 0x80, 0x0a, 0x0d, 0]);
  const pending = h.request('/fn/shop/api/cart?x=1&y=%20z', {
    method: 'POST',
    headers: {
      'x-call-id': 'trigger-call',
      'content-type': 'application/octet-stream',
      'x-custom': 'kept',
      'proxy-authorization': 'Basic cHJveHk6aG9w',
    },
    body: binary,
  });
  const call = await h.broker.calls.next(5000, 'sync call');
  const { message } = call;
  assert.equal(message.mode, 'sync');
  assert.equal(message.callId, 'trigger-call');
  assert.equal(message.fn.name, 'shop');
  assert.ok(message.replyBy !== undefined && message.replyBy > message.acceptedAt);
  const request = httpRequestOf(message);
  assert.equal(request.method, 'POST');
  assert.match(request.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/cart\?x=1&y=%20z$/);
  assert.deepEqual(Buffer.from(request.body ?? '', 'base64'), binary);
  const names = request.headers.map(([name]) => name);
  assert.ok(names.includes('x-custom') && names.includes('host'));
  assert.ok(!names.includes('proxy-authorization') && !names.includes('connection'), names.join());

  call.reply(
    resultOf(
      message,
      {
        response: {
          status: 201,
          headers: [
            ['content-type', 'image/x-test'],
            ['set-cookie', 'a=1; Path=/'],
            ['set-cookie', 'b=2; Path=/'],
            ['x-fn', 'yes'],
            ['x-call-id', 'spoofed'],
          ],
          body: binary.toString('base64'),
        },
      },
      { startedAt: message.acceptedAt + 4, endedAt: message.acceptedAt + 10 },
    ),
  );
  const response = await pending;
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('content-type'), 'image/x-test');
  assert.deepEqual(response.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
  assert.equal(response.headers.get('x-fn'), 'yes');
  assert.equal(response.headers.get('x-call-id'), 'trigger-call');
  assert.equal(response.headers.get('server-timing'), 'queue;dur=4, exec;dur=6');
  assert.deepEqual(Buffer.from(await response.arrayBuffer()), binary);
});

test('the bare function path arrives as /, and an empty response stays empty', async (t) => {
  const h = await startHarness(t);
  await h.deploy('shop');
  for (const [path, expected] of [
    ['/fn/shop', '/'],
    ['/fn/shop/', '/'],
    ['/fn/shop?q=1', '/?q=1'],
  ] as const) {
    const pending = h.request(path);
    const call = await h.broker.calls.next(5000, path);
    assert.equal(
      new URL(httpRequestOf(call.message).url).pathname +
        new URL(httpRequestOf(call.message).url).search,
      expected,
    );
    assert.equal(httpRequestOf(call.message).body, undefined);
    call.reply(resultOf(call.message, { response: { status: 200, headers: [] } }));
    const response = await pending;
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
    assert.equal(response.headers.get('content-type'), null, 'no content type invented');
  }
  const other = await h.request('/fn/shopping');
  assert.equal(other.status, 404, '/fn/shopping is not /fn/shop');
});

test('a function error is 502 FUNCTION_ERROR with its message; a timeout is 504', async (t) => {
  const h = await startHarness(t);
  await h.deploy('flaky');
  const threw = h.request('/fn/flaky');
  const first = await h.broker.calls.next();
  first.reply(
    resultOf(first.message, {
      error: {
        code: 'FUNCTION_ERROR',
        message: 'cart is empty',
        name: 'Error',
        stack: 'Error: cart is empty\n at fetch (bundle.js:1)',
      },
    }),
  );
  const threwResponse = await threw;
  assert.equal(threwResponse.status, 502);
  assert.ok(threwResponse.headers.get('server-timing'));
  const text = await threwResponse.text();
  assert.ok(!text.includes('bundle.js'), 'no stack on a public trigger');
  assert.deepEqual((JSON.parse(text) as { error: object }).error, {
    code: 'FUNCTION_ERROR',
    message: 'cart is empty',
    callId: threwResponse.headers.get('x-call-id'),
  });

  const slow = h.request('/fn/flaky');
  const second = await h.broker.calls.next();
  second.reply(
    resultOf(second.message, {
      error: { code: 'INVOCATION_TIMEOUT', message: 'took longer than 10000 ms' },
    }),
  );
  const slowResponse = await slow;
  assert.equal(slowResponse.status, 504);
  assert.equal((await errorOf(slowResponse)).code, 'INVOCATION_TIMEOUT');

  const crashed = h.request('/fn/flaky');
  const third = await h.broker.calls.next();
  third.reply(
    resultOf(third.message, { error: { code: 'INTERNAL', message: 'node secret detail' } }),
  );
  const crashedResponse = await crashed;
  assert.equal(crashedResponse.status, 500);
  assert.equal((await errorOf(crashedResponse)).message, 'internal error');
});

test('no reply by the deadline is 504 INVOCATION_TIMEOUT', async (t) => {
  const h = await startHarness(t, { syncMarginMs: 20 });
  await h.deploy('slow', { name: 'slow', timeoutMs: 30 });
  const response = await h.request('/fn/slow');
  assert.equal(response.status, 504);
  assert.equal((await errorOf(response)).code, 'INVOCATION_TIMEOUT');
  const call = await h.broker.calls.next();
  assert.equal(call.message.replyBy, call.message.acceptedAt + 50);
});

test('a private function needs an invoke token, which the function never sees', async (t) => {
  const h = await startHarness(t);
  await h.deploy('secret', { name: 'secret', triggers: { http: { public: false } } });
  const anonymous = await h.request('/fn/secret');
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
  const node = await h.request('/fn/secret', { token: 'node' });
  assert.equal(node.status, 403);
  assert.equal(h.broker.attempted.length, 0);

  const pending = h.request('/fn/secret/x', { token: 'invoke' });
  const call = await h.broker.calls.next();
  const names = httpRequestOf(call.message).headers.map(([name]) => name);
  assert.ok(!names.includes('authorization'), 'the consumed token is not forwarded');
  call.reply(resultOf(call.message, { response: { status: 200, headers: [] } }));
  assert.equal((await pending).status, 200);

  await h.deploy('open');
  const publicCall = h.request('/fn/open', { headers: { authorization: 'Bearer app-level' } });
  const forwarded = await h.broker.calls.next();
  assert.ok(
    httpRequestOf(forwarded.message).headers.some(
      ([n, v]) => n === 'authorization' && v === 'Bearer app-level',
    ),
    'a public function gets its own Authorization header',
  );
  forwarded.reply(resultOf(forwarded.message, { response: { status: 200, headers: [] } }));
  assert.equal((await publicCall).status, 200);
});

test('a trigger body over the limit is 413 and nothing is queued', async (t) => {
  const h = await startHarness(t, { limits: { invocation: 1024 } });
  await h.deploy('hello');
  const response = await h.request('/fn/hello', { method: 'POST', body: Buffer.alloc(2048, 1) });
  assert.equal(response.status, 413);
  assert.equal((await errorOf(response)).code, 'PAYLOAD_TOO_LARGE');
  assert.equal(h.broker.attempted.length, 0);
});

test('a response the function got wrong is 502 BAD_FUNCTION_RESPONSE', async (t) => {
  const h = await startHarness(t);
  await h.deploy('hello');
  const pending = h.request('/fn/hello');
  const call = await h.broker.calls.next();
  call.reply(
    resultOf(call.message, { response: { status: 200, headers: [['x-bad', 'line\nbreak']] } }),
  );
  const response = await pending;
  assert.equal(response.status, 502);
  assert.equal(response.headers.get('x-bad'), null);
  assert.equal((await errorOf(response)).code, 'BAD_FUNCTION_RESPONSE');
});

test('headers the Connection header names are per-hop and not forwarded', async (t) => {
  const h = await startHarness(t);
  await h.deploy('hello');
  // fetch refuses to send Connection, so this one request goes through node:http.
  const answered = new Promise<number>((resolve, reject) => {
    const request = httpRequest(`${h.url}/fn/hello`, {
      headers: { connection: 'x-hop', 'x-hop': 'secret-to-proxy', 'x-end': 'kept' },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
  const call = await h.broker.calls.next();
  const names = httpRequestOf(call.message).headers.map(([name]) => name);
  assert.ok(names.includes('x-end'));
  assert.ok(!names.includes('x-hop') && !names.includes('connection'), names.join());
  call.reply(resultOf(call.message, { response: { status: 200, headers: [] } }));
  assert.equal(await answered, 200);
});
