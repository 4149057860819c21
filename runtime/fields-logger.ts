import type { Logger } from '../core/logger.ts';

/** pino's level check; a Logger without it is taken to write every level. */
interface LevelCheck {
  isLevelEnabled?: (level: string) => boolean;
}

/**
 * A logger that adds `fields` to every line, as `parent.child(fields)` would, without making
 * the child: a pino child serializes its bindings when it is made, and the agent would make one
 * per invocation though most invocations log nothing (or only at a disabled level). A line below
 * the parent's level builds nothing: the fields are merged only for a line that is written.
 */
export class FieldsLogger implements Logger {
  readonly #parent: Logger & LevelCheck;
  readonly #fields: Record<string, unknown>;

  constructor(parent: Logger, fields: Record<string, unknown>) {
    this.#parent = parent;
    this.#fields = fields;
  }

  debug(obj: object, msg?: string): void {
    if (this.#writes('debug')) this.#parent.debug({ ...this.#fields, ...obj }, msg);
  }

  info(obj: object, msg?: string): void {
    if (this.#writes('info')) this.#parent.info({ ...this.#fields, ...obj }, msg);
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

  #writes(level: 'debug' | 'info'): boolean {
    return this.#parent.isLevelEnabled?.(level) ?? true;
  }
}
