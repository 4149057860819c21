/**
 * The secret routes on a gateway under test (test/gateway/harness.ts): scopes, errors, what a
 * node reads, and that neither responses nor the gateway's debug log ever carry a value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorBody, SecretListResponse, SecretValuesResponse } from '../../core/api.ts';
import { SecretCipher } from '../../core/secrets-cipher.ts';
import { startHarness, type Harness } from '../gateway/harness.ts';

const VALUE = 'value-d41d8cd98f00b204e980';

function put(h: Harness, path: string, body: string, token = 'deploy'): Promise<Response> {
  return h.request(path, {
    method: 'PUT',
    token,
    headers: { 'content-type': 'application/json' },
    body,
  });
}

async function code(response: Response): Promise<string> {
  return ((await response.json()) as ErrorBody).error.code;
}

test('set, list, read as a node, remove: values only ever reach a node token', async (t) => {
  const h = await startHarness(t, { secretsCipher: new SecretCipher(Buffer.alloc(32, 3)) });
  const seen: string[] = [];
  const keep = async (response: Response): Promise<Response> => {
    seen.push(await response.clone().text());
    return response;
  };
  const path = '/v1/functions/app/secrets/API_KEY';
  assert.equal((await keep(await put(h, path, JSON.stringify({ value: VALUE })))).status, 200);
  assert.equal((await put(h, path, JSON.stringify({ value: VALUE }), 'invoke')).status, 403);
  await put(h, '/v1/functions/app/secrets/UNDECLARED', JSON.stringify({ value: 'x' }));
  const list = await keep(await h.request('/v1/functions/app/secrets', { token: 'deploy' }));
  assert.deepEqual(
    ((await list.json()) as SecretListResponse).secrets.map((s) => s.key),
    ['API_KEY', 'UNDECLARED'],
  );

  assert.equal((await h.deploy('app', { name: 'app', secrets: ['API_KEY'] })).status, 201);
  const valuesPath = '/v1/functions/app/versions/1/secret-values';
  const asNode = await h.request(valuesPath, { token: 'node' });
  assert.equal(asNode.status, 200);
  assert.deepEqual(((await asNode.json()) as SecretValuesResponse).values, { API_KEY: VALUE });
  assert.equal(
    await code(await keep(await h.request(valuesPath, { token: 'admin' }))),
    'FORBIDDEN',
  );
  const noVersion = await h.request('/v1/functions/app/versions/7/secret-values', {
    token: 'node',
  });
  assert.equal(await code(noVersion), 'VERSION_NOT_FOUND');

  const broken = await keep(await put(h, path, `{"value": "${VALUE}"`));
  assert.equal(broken.status, 400);
  assert.equal((await put(h, path, JSON.stringify({ value: 42 }))).status, 400);
  assert.equal(
    await code(await put(h, '/v1/functions/app/secrets/1BAD', '{"value":"v"}')),
    'INVALID_SECRET',
  );
  const remove = await h.request(path, { method: 'DELETE', token: 'deploy' });
  assert.equal(remove.status, 204);
  const again = await h.request(path, { method: 'DELETE', token: 'deploy' });
  assert.equal(await code(again), 'SECRET_NOT_FOUND');

  for (const text of [...seen, ...h.logLines]) assert.ok(!text.includes(VALUE), text);
});

test('a gateway without a key cannot set secrets and says how to give it one', async (t) => {
  const h = await startHarness(t);
  const response = await put(h, '/v1/functions/app/secrets/API_KEY', '{"value":"v"}');
  assert.equal(response.status, 503);
  const body = (await response.json()) as ErrorBody;
  assert.equal(body.error.code, 'SECRETS_KEY_MISSING');
  assert.match(body.error.message, /FN_SECRETS_KEY.*--secrets-key-file/);
});
