/** How the failures of a container (as opposed to the function's own errors) are reported. */
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { ContainerExit } from './docker-engine.ts';

/** Why the executor removed a container. */
export type RemoveReason =
  /** An invocation ran past its deadline. */
  | 'timeout'
  /** The container exited, failed to start or load, or answered nonsense. */
  | 'broken'
  /** Its function version was replaced by a deploy or deleted. */
  | 'evicted'
  /** Idle for longer than the idle timeout. */
  | 'reaped'
  /** The executor is shutting down. */
  | 'shutdown';

/** V8's own heap limit ends Node with one of these before the kernel's OOM killer steps in. */
const HEAP_EXHAUSTED = /heap out of memory|Reached heap limit|Allocation failed/i;

/**
 * Exit codes of a process that ended by abort(), a trap or a fault (SIGILL, SIGTRAP, SIGABRT,
 * SIGSEGV), which is how V8 ends Node when its heap is exhausted.
 */
const ABORT_EXITS = new Set([132, 133, 134, 139]);

/**
 * Whether an exit could still turn out to be V8's heap exhaustion once more of the container's
 * output is read: an abort-like exit whose output so far lacks the message.
 */
export function mayBeHeapExhaustion(exit: ContainerExit | undefined, output: string): boolean {
  return (
    exit !== undefined &&
    !exit.oomKilled &&
    ABORT_EXITS.has(exit.exitCode) &&
    !HEAP_EXHAUSTED.test(output)
  );
}

/** How long a crash's explanation waits for docker to have copied the container's last output. */
const OUTPUT_WAIT_MS = 1000;

/**
 * The container's last output, read again for a moment while the exit may still be V8's heap
 * exhaustion whose message docker has not copied to the log yet (it does so asynchronously).
 */
export async function settledOutput(
  exit: ContainerExit | undefined,
  output: string,
  read: () => Promise<string>,
): Promise<string> {
  const deadline = performance.now() + OUTPUT_WAIT_MS;
  let last = output;
  while (mayBeHeapExhaustion(exit, last) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await read();
  }
  return last;
}

export function timeoutError(budgetMs: number): ErrorData {
  return new FjordError(
    'INVOCATION_TIMEOUT',
    `function did not finish within its deadline (${Math.max(0, Math.round(budgetMs))} ms)`,
  ).toData();
}

/**
 * Explains why a container stopped answering: out of memory (the kernel's OOM killer or V8's heap
 * limit), removed by the node itself, or a crash with its exit code.
 */
export function exitFault(
  exit: ContainerExit | undefined,
  facts: { removedBy: RemoveReason | undefined; memoryMb: number; lastOutput: string },
): ErrorData {
  if (facts.removedBy === 'shutdown' || facts.removedBy === 'evicted') {
    return new FjordError(
      'FUNCTION_CRASHED',
      'the node stopped this function during the invocation',
      { retryable: true },
    ).toData();
  }
  if (exit?.oomKilled === true || HEAP_EXHAUSTED.test(facts.lastOutput)) {
    return new FjordError(
      'MEMORY_LIMIT_EXCEEDED',
      `function exceeded its memory limit of ${facts.memoryMb} MB`,
    ).toData();
  }
  const how =
    exit === undefined
      ? 'stopped answering'
      : exit.exitCode > 128
        ? `was killed (signal ${exit.exitCode - 128})`
        : `exited with code ${exit.exitCode}`;
  return new FjordError('FUNCTION_CRASHED', `the function's container ${how}`).toData();
}

/** A bundle that could not be fetched: its own error, or a retryable INTERNAL one. */
export function fetchFailure(error: unknown): ErrorData {
  const data = FjordError.from(error);
  const message = `could not start a container: ${String(error)}`;
  return data.code === 'INTERNAL'
    ? new FjordError('INTERNAL', message, { retryable: true }).toData()
    : data.toData();
}
