import type { Logger } from '../core/logger.ts';

/**
 * A logger that adds `fields` to every line, as `parent.child(fields)` would, without making
 * the child: a pino child serializes its bindings when it is made, and the agent would make one
 * per invocation though most invocations log nothing (or only at a disabled level).
 */
export class FieldsLogger implements Logger {
  readonly #parent: Logger;
  readonly #fields: Record<string, unknown>;

  constructor(parent: Logger, fields: Record<string, unknown>) {
    this.#parent = parent;
    this.#fields = fields;
  }

  debug(obj: object, msg?: string): void {
    this.#parent.debug({ ...this.#fields, ...obj }, msg);
  }

  info(obj: object, msg?: string): void {
    this.#parent.info({ ...this.#fields, ...obj }, msg);
  }

  warn(obj: object, msg?: string): void {
    this.#parent.warn({ ...this.#fields, ...obj }, msg);
  }

  error(obj: object, msg?: string): void {
    this.#parent.error({ ...this.#fields, ...obj }, msg);
  }

  child(bindings: Record<string, unknown>): Logger {
    return this.#parent.child({ ...this.#fields, ...bindings });
  }
}
