/**
 * The container base image of this node, built offline from the Node binary the node itself runs
 * on (docker/base/build-offline.sh: a no-op that only prints the tag when the image exists).
 * Nodes on hosts that can pull may name `fjord/node-base` built from docker/base/Dockerfile instead.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The offline build script shipped with this runtime. */
export const OFFLINE_BUILD_SCRIPT = fileURLToPath(
  new URL('../../docker/base/build-offline.sh', import.meta.url),
);

export interface BaseImageOptions {
  script?: string;
  /** The Node binary to put in the image; the one running this process by default. */
  node?: string;
  /** Where the Docker CLI used by the script finds the engine. */
  dockerSocket?: string;
}

/** Builds the base image when missing and returns its tag (`fjord/node-base:24-<inputs hash>`). */
export async function buildBaseImage(options: BaseImageOptions = {}): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, FJORD_NODE: options.node ?? process.execPath };
  if (options.dockerSocket !== undefined) env.DOCKER_HOST = `unix://${options.dockerSocket}`;
  const { stdout } = await run('bash', [options.script ?? OFFLINE_BUILD_SCRIPT], {
    env,
    maxBuffer: 1024 * 1024,
  });
  const tag = stdout.trim().split('\n').pop() ?? '';
  if (tag === '') throw new Error('the base image build printed no tag');
  return tag;
}
