/** The pieces the probes need to drive the isolate executor directly, without a gateway. */
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { bundleFunction } from '../../cli/bundle/bundle-function.ts';
import type { ExecutionOutcome, InvocationContext } from '../../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../../core/messages.ts';
import { BENCH_FUNCTIONS } from '../targets/fjord.ts';

export interface BundledFunction {
  code: string;
  sha: string;
}

export async function bundled(folder: string): Promise<BundledFunction> {
  const { code } = await bundleFunction(join(BENCH_FUNCTIONS, folder), { typecheck: false });
  return { code, sha: createHash('sha256').update(code).digest('hex') };
}

export function specOf(bundle: BundledFunction, name: string, version: number): FunctionSpec {
  return {
    name,
    version,
    bundleSha: bundle.sha,
    runtime: 'isolate',
    memoryMb: 128,
    timeoutMs: 5000,
    concurrency: 1,
    env: {},
  };
}

export const GET_PAYLOAD: InvocationPayload = {
  kind: 'http',
  request: { method: 'GET', url: 'http://bench.local/?n=1', headers: [] },
};

export function context(): InvocationContext {
  const id = randomUUID();
  return { id, callId: id, attempt: 1, deadline: Date.now() + 5000 };
}

/** Throws unless the invocation succeeded with the expected cold-start flag. */
export function expectOutcome(outcome: ExecutionOutcome, coldStart: boolean): void {
  if (!outcome.ok) throw new Error(`invocation failed: ${JSON.stringify(outcome.error)}`);
  if (outcome.coldStart !== coldStart) {
    throw new Error(`expected coldStart ${coldStart}, got ${outcome.coldStart}`);
  }
}
