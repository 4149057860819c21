/**
 * The host process's Logger: its lines go to the parent's logger over IPC. Messages cross as
 * JSON, so an Error field travels as its name, message, stack and code (JSON.stringify would
 * make it `{}`), and a line with a field JSON cannot encode still gets out without that field.
 */
import type { Logger } from '../../core/logger.ts';
import type { ChildMessage, LogLevel } from './host-protocol.ts';

function plainError(error: Error): object {
  const { code } = error as Error & { code?: unknown };
  return { type: error.name, message: error.message, stack: error.stack, code };
}

/** A Logger sending its lines with `send`, each with `bindings` (and its children's). */
export function childLogger(
  send: (message: ChildMessage) => void,
  bindings: Record<string, unknown>,
): Logger {
  const line = (level: LogLevel) => (obj: object, msg?: string) => {
    const text = msg === undefined ? {} : { msg };
    const fields: Record<string, unknown> = { ...bindings };
    for (const [key, value] of Object.entries(obj)) {
      fields[key] = value instanceof Error ? plainError(value) : value;
    }
    try {
      send({ type: 'log', level, obj: fields, ...text });
    } catch {
      // A BigInt or a cycle: JSON.stringify throws in send() before anything is written.
      send({ type: 'log', level, obj: { ...bindings, fields: 'not serializable' }, ...text });
    }
  };
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (more) => childLogger(send, { ...bindings, ...more }),
  };
}
