import { pino } from 'pino';

/** The structured logger every part takes by injection (pino's Logger satisfies it). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** `redact: []` turns redaction off, for lines whose fields cannot hold a secret. */
  child(bindings: Record<string, unknown>, options?: { redact?: string[] }): Logger;
}

/**
 * JSON lines on stdout (or the given destination). Level from FN_LOG_LEVEL, default info.
 * Authorization headers and tokens are redacted wherever they appear, and so is a function's
 * `env` (nodes put its declared secrets there, runtime/secret-executor.ts).
 */
export function createLogger(
  options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'fjord',
      level: options.level ?? process.env.FN_LOG_LEVEL ?? 'info',
      redact: [
        'req.headers.authorization',
        '*.token',
        'token',
        'headers.authorization',
        'env',
        '*.env',
        '*.*.env',
      ],
    },
    options.destination ?? process.stdout,
  );
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
