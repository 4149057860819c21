/** The `ctx` a function receives, and the waitUntil promises it collects. */
import type { WireContext } from '../protocol.ts';
import type { ConsoleLike } from './console.ts';

export interface FunctionContext {
  callId: string;
  invocationId: string;
  attempt: number;
  /** Epoch ms by which the invocation must have finished, waitUntil work included. */
  deadline: number;
  env: Readonly<Record<string, string>>;
  /** Keeps the invocation open until `promise` settles (within the deadline). */
  waitUntil(promise: unknown): void;
  /** Accepted for Workers compatibility; Fjord has no origin to fall back to. */
  passThroughOnException(): void;
  log: ConsoleLike;
  /** `send`/`sendBatch` into queue triggers' queues (prelude/queue-sender.ts). */
  queues: object;
}

export function createFunctionContext(
  wire: WireContext,
  env: Readonly<Record<string, string>>,
  log: ConsoleLike,
  pending: Promise<unknown>[],
  queues: object,
): FunctionContext {
  return {
    callId: wire.callId,
    invocationId: wire.invocationId,
    attempt: wire.attempt,
    deadline: wire.deadline,
    env,
    waitUntil: (promise) => {
      pending.push(Promise.resolve(promise));
    },
    passThroughOnException: () => {},
    log,
    queues,
  };
}

/** Waits for every waitUntil promise, including those added while waiting; reports each rejection as it happens. */
export async function settleWaitUntil(
  pending: Promise<unknown>[],
  onRejected: (reason: unknown) => void,
): Promise<void> {
  while (pending.length > 0) {
    const batch = pending.splice(0);
    await Promise.all(batch.map((promise) => promise.then(undefined, onRejected)));
  }
}
