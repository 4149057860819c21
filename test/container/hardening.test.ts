import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { baseImage, ContainerFixtures } from './support/container-fixtures.ts';
import { docker, inspect } from './support/docker-cli.ts';

const ZERO_CAPS = '0000000000000000';

describe('container executor: hardening by default', () => {
  const fixtures = new ContainerFixtures();
  let executor: ContainerExecutor;
  let server: Server;
  let hostUrl: string;

  before(async () => {
    executor = new ContainerExecutor({
      loadCode: fixtures.bundles.load,
      image: await baseImage(),
      nodeId: 'hardening-test',
      tmpfsMb: 16,
    });
    // A server only the host's loopback can reach.
    server = createServer((_req, res) => res.end('host secret'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await executor.dispose();
    server.close();
  });

  function containerOf(name: string): string {
    const id = executor.containers().find((c) => c.fn === name)?.containerId;
    assert.ok(id, `a container of ${name} is running`);
    return id;
  }

  test('the container is created non-root, read-only, capability-free and limited', async () => {
    const fn = await fixtures.spec('probe', { memoryMb: 96, cpus: 0.5, pidsLimit: 48 });
    valueOf(await executor.invoke(fn, eventPayload({}), invocationContext()));
    const info = await inspect(containerOf(fn.name));
    assert.equal(info.State.Running, true);
    assert.equal(info.Config.User, '1000:1000');
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.equal(info.HostConfig.CapAdd, null);
    assert.equal(info.HostConfig.Privileged, false);
    assert.deepEqual(info.HostConfig.SecurityOpt, ['no-new-privileges']);
    assert.equal(info.HostConfig.Memory, 96 * 1024 * 1024);
    assert.equal(info.HostConfig.MemorySwap, 96 * 1024 * 1024, 'no swap on top of the limit');
    assert.equal(info.HostConfig.NanoCpus, 0.5e9);
    assert.equal(info.HostConfig.PidsLimit, 48);
    assert.equal(info.HostConfig.NetworkMode, 'none');
    assert.equal(info.HostConfig.Init, true, 'an init reaps zombies the function leaves');
    assert.match(info.HostConfig.Tmpfs?.['/tmp'] ?? '', /size=16m/);
    assert.match(info.HostConfig.Tmpfs?.['/tmp'] ?? '', /noexec/);
    assert.equal(info.HostConfig.Binds?.length, 1, 'only the socket directory comes from the host');
    assert.equal(info.Config.Labels['fjord.fn'], fn.name);
    assert.equal(info.Config.Labels['fjord.version'], '1');
    assert.equal(info.Config.Labels['fjord.node'], 'hardening-test');
  });

  test('inside, the function runs as uid 1000 with a read-only root and a writable /tmp', async () => {
    const fn = await fixtures.spec('probe');
    const seen = valueOf(
      await executor.invoke(fn, eventPayload({}), invocationContext()),
    ) as Record<string, unknown>;
    assert.equal(seen.uid, 1000);
    assert.equal(seen.gid, 1000);
    assert.equal(seen.user, 'node');
    assert.equal(seen.writeRoot, 'EROFS');
    assert.equal(seen.writeHome, 'EROFS', "even the user's own home is read-only");
    assert.equal(seen.writeTmp, 'ok');
  });

  test('inside, every capability set is empty, no-new-privileges is on, seccomp filters', async () => {
    const fn = await fixtures.spec('probe');
    const seen = valueOf(await executor.invoke(fn, eventPayload({}), invocationContext())) as {
      capabilities: Record<string, string>;
      noNewPrivs: string;
      seccomp: string;
    };
    assert.deepEqual(seen.capabilities, {
      CapInh: ZERO_CAPS,
      CapPrm: ZERO_CAPS,
      CapEff: ZERO_CAPS,
      CapBnd: ZERO_CAPS,
      CapAmb: ZERO_CAPS,
    });
    assert.equal(seen.noNewPrivs, '1');
    assert.equal(seen.seccomp, '2', "docker's default seccomp profile applies");
  });

  test('without network: only loopback, and a server on the host loopback is unreachable', async () => {
    const fromHost = await fetch(hostUrl);
    assert.equal(await fromHost.text(), 'host secret', 'the server answers the host');

    const fn = await fixtures.spec('probe');
    const seen = valueOf(
      await executor.invoke(fn, eventPayload({ url: hostUrl }), invocationContext()),
    ) as { netDevices: string[]; fetch: string };
    assert.deepEqual(seen.netDevices, ['lo']);
    assert.equal(seen.fetch, 'ECONNREFUSED', "the container's loopback is its own");
  });

  test('with "network": true the container gets an interface, still not the host loopback', async () => {
    const fn = await fixtures.spec('probe', { network: true });
    const seen = valueOf(
      await executor.invoke(fn, eventPayload({ url: hostUrl }), invocationContext()),
    ) as { netDevices: string[]; fetch: string };
    assert.ok(seen.netDevices.includes('eth0'), `devices: ${seen.netDevices.join(', ')}`);
    assert.equal(seen.fetch, 'ECONNREFUSED');
    assert.equal((await inspect(containerOf(fn.name))).HostConfig.NetworkMode, 'bridge');
  });

  test('a fork bomb is held by the pids limit', async () => {
    const fn = await fixtures.spec('fork-bomb', { pidsLimit: 32 });
    const outcome = await executor.invoke(
      fn,
      eventPayload({}),
      invocationContext({ deadline: Date.now() + 40_000 }),
    );
    const seen = valueOf(outcome) as { spawnError: string; held: number; processes: number };
    assert.equal(seen.spawnError, 'EAGAIN', 'forking fails once the limit is reached');
    assert.ok(seen.processes <= 32, `${seen.processes} processes`);
    const pids = Number(
      await docker('stats', '--no-stream', '--format', '{{.PIDs}}', containerOf(fn.name)),
    );
    assert.ok(pids <= 32, `docker counts ${pids} tasks`);
    await executor.evict(fn.name);
  });

  test('filling /tmp stops at the tmpfs size', async () => {
    const fn = await fixtures.spec('fill-tmp');
    const seen = valueOf(await executor.invoke(fn, eventPayload({}), invocationContext())) as {
      bytes: number;
      code: string | null;
    };
    assert.equal(seen.code, 'ENOSPC');
    assert.ok(seen.bytes <= 16 * 1024 * 1024, `${seen.bytes} bytes written`);
    assert.ok(seen.bytes >= 8 * 1024 * 1024, 'the tmpfs itself is usable');
  });
});
