import { FjordError } from '../../core/errors.ts';

/** SQLSTATEs after which the same transaction may simply be run again. */
export const RETRY_SQLSTATES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** Node socket errors that mean "the server cannot be reached right now". */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * The messages pg gives a lost or never-made connection; they carry no code of their own.
 * (pg 8.x: "Connection terminated unexpectedly", "Connection terminated due to connection
 * timeout", "timeout exceeded when trying to connect", "Client has encountered a connection
 * error and is not queryable".)
 */
const LOST_CONNECTION =
  /connection terminated|timeout exceeded when trying to connect|connection error|not queryable/i;

/**
 * Maps whatever pg threw to Fjord's one error type: an unreachable or restarting server is
 * STORE_UNAVAILABLE (503, retryable), so a gateway answers "try again" instead of crashing or
 * claiming a platform fault; everything else is INTERNAL with the cause kept for the log.
 */
export function toStoreError(error: unknown): FjordError {
  if (error instanceof FjordError) return error;
  if (isUnavailable(error)) {
    return new FjordError('STORE_UNAVAILABLE', 'the PostgreSQL store is unavailable; retry later', {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new FjordError('INTERNAL', `PostgreSQL store: ${message}`, { cause: error });
}

function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // Class 08: connection exception. 57P01-57P03: the server is shutting down or starting.
    // 53300: too many connections. 40001/40P01 still failing after the retries.
    if (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300') return true;
    if (RETRY_SQLSTATES.has(code)) return true;
  }
  return error instanceof Error && LOST_CONNECTION.test(error.message);
}
