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
