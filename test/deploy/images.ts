/**
 * Fjord's own images for test/deploy/: built with docker/gateway/build-image.sh (a no-op when the
 * tree is unchanged, which keeps later runs fast), and containers the tests start under a unique
 * name and remove when the test file ends, whatever happened. The engine and the offline base
 * image come from scripts/ensure-docker.sh.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';
import { waitFor } from '../support/inbox.ts';
import { REPO } from './deploy-files.ts';

const run = promisify(execFile);

/** Runs the Docker CLI; rejects with its stderr when it fails. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Builds (or finds) `fjord/gateway` or `fjord/node` from this tree and returns its tag. */
export async function buildImage(role: 'gateway' | 'node'): Promise<string> {
  const { stdout } = await run('bash', [join(REPO, 'docker/gateway/build-image.sh'), role], {
    // The offline base image is built from the Node binary running the tests (Node 24).
    env: { ...process.env, FJORD_NODE: process.execPath },
    maxBuffer: 1024 * 1024,
    timeout: 600_000,
  });
  const tag = stdout.trim().split('\n').at(-1) ?? '';
  if (!tag.startsWith(`fjord/${role}:`)) throw new Error(`build-image.sh printed "${stdout}"`);
  return tag;
}

/** Starts a detached container with a unique name, removed (forcibly) after the test file. */
export async function runContainer(image: string, options: string[], command: string[]) {
  const name = `fjord-test-${randomBytes(4).toString('hex')}`;
  after(() => docker('rm', '--force', '--volumes', name).catch(() => undefined));
  await docker(
    'run',
    '--detach',
    '--name',
    name,
    '--label',
    'fjord.test=deploy',
    ...options,
    image,
    ...command,
  );
  return {
    name,
    /** A `docker inspect --format` field of the container. */
    inspect: (format: string) => docker('inspect', '--format', format, name),
    logs: async () => {
      const { stdout, stderr } = await run('docker', ['logs', name], {
        maxBuffer: 16 * 1024 * 1024,
      });
      return { stdout, stderr };
    },
    /** `docker stop` (one SIGTERM, then SIGKILL after `graceSeconds`); resolves with the exit code. */
    stop: async (graceSeconds: number) => {
      await docker('stop', '--time', String(graceSeconds), name);
      return Number(await docker('inspect', '--format', '{{.State.ExitCode}}', name));
    },
  };
}

/** Waits until `url` answers 2xx, for a server starting in a container. */
export async function waitForHttp(url: string, what: string): Promise<void> {
  await waitFor(async () => (await fetch(url).catch(() => undefined))?.ok === true, {
    timeoutMs: 120_000,
    intervalMs: 200,
    what,
  });
}
