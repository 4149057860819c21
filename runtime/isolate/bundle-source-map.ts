/**
 * Stack traces in the user's own terms for isolate functions: the executor takes the bundle's
 * inline source map off the code before the isolate compiles it (docker/shim/stack-map.mts) and
 * maps the stacks of the function's errors here, on the host: user code never sees the map, and
 * a stack it forged maps no worse than a real one.
 */
import type { ErrorData } from '../../core/errors.ts';
import type { QueueBatchOutcome } from '../../core/messages.ts';
import type { BundleSourceMap } from '../../docker/shim/stack-map.mts';
import type { Dispatched } from './decode-reply.ts';

export { BundleSourceMap, splitInlineMap } from '../../docker/shim/stack-map.mts';

/** `error` with its stack mapped through the bundle's source map, when it has both. */
export function mapErrorStack(
  error: ErrorData,
  map: BundleSourceMap | undefined,
  filename: string,
): ErrorData {
  if (map === undefined || error.stack === undefined) return error;
  return { ...error, stack: map.mapStack(error.stack, filename) };
}

/** A booted bundle's source map, and the file name the isolate compiled it as. */
export interface BundleStacks {
  map: BundleSourceMap | undefined;
  filename: string;
}

/**
 * An invocation's result with its error's stack mapped (see {@link mapErrorStack}): the error it
 * failed with, or the one a queue batch's outcome carries (the handler threw; the batch retries).
 */
export function mapDispatchedStack(dispatched: Dispatched, stacks?: BundleStacks): Dispatched {
  const { result } = dispatched;
  if (stacks?.map === undefined) return dispatched;
  const mapped = (error: ErrorData): ErrorData => mapErrorStack(error, stacks.map, stacks.filename);
  if (!result.ok) return { ...dispatched, result: { ok: false, error: mapped(result.error) } };
  if (!isQueueOutcome(result.value) || result.value.error === undefined) return dispatched;
  const value: QueueBatchOutcome = { ...result.value, error: mapped(result.value.error) };
  return { ...dispatched, result: { ...result, value } };
}

function isQueueOutcome(value: unknown): value is QueueBatchOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'queue-outcome'
  );
}
