/** How the failures of an isolate (as opposed to the function's own errors) are reported. */
import { FjordError, type ErrorData } from '../../core/errors.ts';

/** Why the host disposed an isolate. */
export type DisposeReason =
  /** The invocation ran past its deadline. */
  | 'timeout'
  /** The invocation used more CPU time than fn.json `cpuMs` allows. */
  | 'cpu-limit'
  /** Cold start failed, or the isolate misbehaved and cannot be trusted again. */
  | 'broken'
  /** Its function version was replaced by a deploy or deleted. */
  | 'evicted'
  /** Idle for longer than the idle timeout. */
  | 'reaped'
  /** The executor is shutting down. */
  | 'shutdown';

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function cpuLimitError(limitMs: number): ErrorData {
  return new FjordError(
    'CPU_LIMIT_EXCEEDED',
    `function used more than its CPU time limit of ${limitMs} ms`,
  ).toData();
}

/**
 * Classifies a rejection from an isolate operation. isolated-vm reports a blown heap as the
 * isolate being "disposed ... due to memory limit"; any other unexpected disposal is a crash.
 */
export function isolateFailure(
  error: unknown,
  facts: { disposedBy: DisposeReason | undefined; isolateDisposed: boolean; memoryMb: number },
): ErrorData {
  const message = errorMessage(error);
  if (facts.disposedBy === 'shutdown' || facts.disposedBy === 'evicted') {
    return new FjordError(
      'FUNCTION_CRASHED',
      'the node stopped this function during the invocation',
      {
        retryable: true,
      },
    ).toData();
  }
  if (
    /memory limit/i.test(message) ||
    (facts.isolateDisposed && /heap out of memory/i.test(message))
  ) {
    return new FjordError(
      'MEMORY_LIMIT_EXCEEDED',
      `function exceeded its memory limit of ${facts.memoryMb} MB`,
    ).toData();
  }
  if (!facts.isolateDisposed && /promise was abandoned/i.test(message)) {
    // isolated-vm noticed the garbage collector drop a promise nothing could ever settle.
    return new FjordError(
      'FUNCTION_ERROR',
      'the function returned a promise that can never settle: nothing is left that could resolve it',
    ).toData();
  }
  if (facts.isolateDisposed) {
    return new FjordError(
      'FUNCTION_CRASHED',
      `the function's isolate crashed: ${message}`,
    ).toData();
  }
  return new FjordError('FUNCTION_CRASHED', `the function's isolate failed: ${message}`).toData();
}
