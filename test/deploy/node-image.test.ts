/**
 * The node image for real: `fn gateway` on the host (RabbitMQ, a vhost of this test's own), the
 * node in a container on the host's network, its token read from a file through FN_TOKEN_FILE as
 * docker/compose.yaml passes it. A function deployed to the gateway runs on the containerized
 * node (the only one), and `docker stop` drains it to exit code 0.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Api, readCredentials } from '../e2e/support/api.ts';
import { runFnJson, startFn } from '../e2e/support/fn-process.ts';
import { testVhost } from '../e2e/support/rabbitmq.ts';
import { waitFor } from '../support/inbox.ts';
import { REPO } from './deploy-files.ts';
import { buildImage, runContainer } from './images.ts';

let image = '';
// The first build on a machine copies about 120 MB of dependencies: more than a test's timeout
// on a busy machine, so it happens here, with a limit of its own.
before(
  async () => {
    image = await buildImage('node');
  },
  { timeout: 600_000 },
);

test('fn node in the node image runs the functions of a gateway on the host', async () => {
  const broker = testVhost();
  const dir = mkdtempSync(join(tmpdir(), 'fjord-node-image-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startFn(['gateway', '--port', '0', '--data-dir', dir, '--broker', broker]);
  after(() => server.stop());
  const api = new Api(readCredentials(server.ready.credentials ?? ''));

  // The node token as a file the container's user (uid 1000) may read, like a Docker secret.
  const secrets = join(dir, 'secrets');
  const tokenFile = join(secrets, 'node-token');
  mkdirSync(secrets);
  copyFileSync(join(dir, 'node-token'), tokenFile);
  chownSync(tokenFile, 1000, 1000);
  chmodSync(tokenFile, 0o400);
  const node = await runContainer(
    image,
    [
      '--network',
      'host',
      '--volume',
      `${tokenFile}:/run/secrets/node-token:ro`,
      '--env',
      'FN_TOKEN_FILE=/run/secrets/node-token',
    ],
    ['node', '--broker', broker, '--gateway', api.base, '--json'],
  );
  const ready = await waitFor(
    async () => {
      const line = (await node.logs()).stdout.split('\n').find((l) => l.includes('"ready"'));
      return line === undefined ? undefined : (JSON.parse(line) as { node: string });
    },
    { timeoutMs: 120_000, intervalMs: 200, what: 'the node in the container to be ready' },
  );

  // The example as a user deploys it, with the host's CLI (a gateway of this test's own: the name
  // is free).
  const env = { FN_GATEWAY: api.base, FN_TOKEN: api.token };
  await runFnJson(['deploy', join(REPO, 'functions/hello')], { env });
  const accepted = await api.fetch(`/fn/hello?name=node`, {
    headers: { prefer: 'respond-async' },
    auth: false,
  });
  assert.equal(accepted.status, 202);
  const location = accepted.headers.get('location') ?? '';
  const done = await waitFor(
    async () => {
      const { body } = await api.json<{ status: string; node?: string }>(location);
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50, what: 'the invocation to finish' },
  );
  assert.equal(done.status, 'succeeded');
  assert.equal(done.node, ready.node, 'the containerized node ran it');

  assert.equal(await node.stop(60), 0, 'exit code after docker stop');
  assert.match((await node.logs()).stderr, /"msg":"drained"/);
});
