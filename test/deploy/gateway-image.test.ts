/**
 * The gateway image for real: built from this tree, run with `fn up` (embedded broker and store)
 * on a port published on 127.0.0.1, a function deployed into it with the host's `fn deploy` and
 * invoked over HTTP, its HEALTHCHECK reporting healthy, then `docker stop`: one SIGTERM, after
 * which the process drains and exits 0 well before Docker would kill it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { DeployResponse } from '../../core/api.ts';
import { runFnJson } from '../e2e/support/fn-process.ts';
import { waitFor } from '../support/inbox.ts';
import { REPO } from './deploy-files.ts';
import { buildImage, docker, runContainer, waitForHttp } from './images.ts';

let image = '';
// The first build on a machine copies about 120 MB of dependencies: more than a test's timeout
// on a busy machine, so it happens here, with a limit of its own.
before(
  async () => {
    image = await buildImage('gateway');
  },
  { timeout: 600_000 },
);

test('fn up in the gateway image serves a function deployed from the host, then stops cleanly', async () => {
  const gateway = await runContainer(
    image,
    // The image's own health check command, probed every second instead of every 10 s.
    ['--publish', '127.0.0.1::8080', '--health-interval', '1s'],
    ['up', '--host', '0.0.0.0', '--port', '8080', '--no-examples'],
  );
  const published = await docker('port', gateway.name, '8080/tcp');
  const base = `http://${published.split('\n')[0] ?? ''}`;
  await waitForHttp(`${base}/readyz`, 'the gateway in the container to be ready');

  // The admin credentials fn up wrote into the container's data volume.
  const token = await docker(
    'exec',
    gateway.name,
    'node',
    '-p',
    "require('/var/lib/fjord/credentials.json').token",
  );
  assert.match(token, /^\S{20,}$/);
  assert.equal(await docker('exec', gateway.name, 'node', '-p', 'process.getuid()'), '1000');

  const env = { FN_GATEWAY: base, FN_TOKEN: token };
  const deployed = await runFnJson<DeployResponse>(['deploy', join(REPO, 'functions/hello')], {
    env,
  });
  assert.equal(deployed.function.version, 1);
  const response = await fetch(`${base}/fn/hello?name=container`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'hello container from fjord\n');

  await waitFor(async () => (await gateway.inspect('{{.State.Health.Status}}')) === 'healthy', {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: 'the image HEALTHCHECK to report healthy',
  });

  assert.equal(await gateway.stop(60), 0, 'exit code after docker stop');
  const { stderr } = await gateway.logs();
  assert.match(stderr, /"msg":"drained"/, 'the node in the container drained on SIGTERM');
});
