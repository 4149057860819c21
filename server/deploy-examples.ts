import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { DeployRequest } from '../core/api.ts';
import type { Logger } from '../core/logger.ts';
import { bundleFunction } from '../cli/bundle/bundle-function.ts';

/** Examples `fn up` deploys on a fresh installation so `curl .../fn/hello` answers at once. */
export const EXAMPLES = ['hello', 'greet-event'];

const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

/**
 * Deploys each example through the gateway's own API unless a function of that name exists, so
 * a user's redeploy of `hello` is never overwritten by a restart.
 */
export async function deployExamples(
  gateway: string,
  token: string,
  logger: Logger,
): Promise<string[]> {
  const deployed: string[] = [];
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  for (const name of EXAMPLES) {
    const existing = await fetch(`${gateway}/v1/functions/${name}`, { headers });
    await existing.body?.cancel();
    if (existing.status !== 404) continue;
    // With its source map, as `fn deploy` makes them: error stacks name the example's source.
    const { manifest, code } = await bundleFunction(join(FUNCTIONS_DIR, name), {
      typecheck: false,
      sourcemap: true,
    });
    const body: DeployRequest = { manifest, bundle: code };
    const response = await fetch(`${gateway}/v1/functions/${name}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      logger.warn(
        { fn: name, status: response.status, body: await response.text() },
        'example not deployed',
      );
      continue;
    }
    await response.body?.cancel();
    deployed.push(name);
  }
  return deployed;
}
