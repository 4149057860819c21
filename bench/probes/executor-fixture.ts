/** The pieces the probes need to drive the isolate executor directly, without a gateway. */
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunction } from '../../cli/bundle/bundle-function.ts';
import type { ExecutionOutcome, InvocationContext } from '../../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../../core/messages.ts';
import { BENCH_FUNCTIONS } from '../targets/fjord-api.ts';

export interface BundledFunction {
  code: string;
  sha: string;
}

/** The example functions users copy (functions/NAME), e.g. the Hono app. */
export const EXAMPLE_FUNCTIONS = fileURLToPath(new URL('../../functions/', import.meta.url));

/** Bundles bench/functions/`folder`, or any function folder given as an absolute path. */
export async function bundled(folder: string): Promise<BundledFunction> {
  const dir = folder.startsWith('/') ? folder : join(BENCH_FUNCTIONS, folder);
  const { code } = await bundleFunction(dir, { typecheck: false });
  return { code, sha: createHash('sha256').update(code).digest('hex') };
}

export function specOf(
  bundle: BundledFunction,
  name: string,
  version: number,
  overrides: Partial<FunctionSpec> = {},
): FunctionSpec {
  return {
    name,
    version,
    bundleSha: bundle.sha,
    runtime: 'isolate',
    memoryMb: 128,
    timeoutMs: 5000,
    concurrency: 1,
    env: {},
    ...overrides,
  };
}

export const GET_PAYLOAD: InvocationPayload = getPayload('/?n=1');

/** An HTTP GET of `path`, as the gateway hands it to an executor. */
export function getPayload(path: string): InvocationPayload {
  return {
    kind: 'http',
    request: { method: 'GET', url: `http://bench.local${path}`, headers: [] },
  };
}

export function context(budgetMs = 5000): InvocationContext {
  const id = randomUUID();
  return { id, callId: id, attempt: 1, deadline: Date.now() + budgetMs };
}

/** Throws unless the invocation succeeded with the expected cold-start flag. */
export function expectOutcome(outcome: ExecutionOutcome, coldStart: boolean): void {
  if (!outcome.ok) throw new Error(`invocation failed: ${JSON.stringify(outcome.error)}`);
  if (outcome.coldStart !== coldStart) {
    throw new Error(`expected coldStart ${coldStart}, got ${outcome.coldStart}`);
  }
}
