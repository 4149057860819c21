// Console capture per invocation. Invocations may run concurrently in one container, so each
// one's console lines are attributed through AsyncLocalStorage rather than a global "current"
// invocation; lines written outside any invocation go to the container's own stderr.
import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';

const LEVELS = /** @type {const} */ ({
  debug: 'debug',
  info: 'info',
  log: 'info',
  warn: 'warn',
  error: 'error',
  trace: 'debug',
});

/** The console lines of one invocation, capped at `limitBytes` with a truncation marker. */
export class LogBuffer {
  /** @type {{ ts: number, level: string, message: string }[]} */
  entries = [];
  #limit;
  #used = 0;
  #truncated = false;

  /** @param {number} limitBytes */
  constructor(limitBytes) {
    this.#limit = limitBytes;
  }

  /** @param {string} level @param {unknown[]} args */
  write(level, args) {
    if (this.#truncated) return;
    let message;
    try {
      message = format(...args);
    } catch (error) {
      message = `[unprintable: ${String(error)}]`;
    }
    const size = Buffer.byteLength(message);
    if (this.#used + size > this.#limit) {
      const room = Buffer.from(message)
        .subarray(0, this.#limit - this.#used)
        .toString();
      if (room.length > 0) this.entries.push({ ts: Date.now(), level, message: room });
      this.#truncated = true;
      this.entries.push({
        ts: Date.now(),
        level: 'warn',
        message: `[log output truncated: more than ${this.#limit} bytes in one invocation]`,
      });
      return;
    }
    this.#used += size;
    this.entries.push({ ts: Date.now(), level, message });
  }

  /** A console-like object writing here, for ctx.log. */
  console() {
    return Object.fromEntries(
      Object.entries(LEVELS).map(([method, level]) => [
        method,
        (...args) => this.write(level, args),
      ]),
    );
  }
}

/** Routes the global console to the LogBuffer of the invocation running in this async context. */
export function captureConsole() {
  /** @type {AsyncLocalStorage<LogBuffer>} */
  const storage = new AsyncLocalStorage();
  for (const [method, level] of Object.entries(LEVELS)) {
    const original = console[method].bind(console);
    console[method] = (...args) => {
      const buffer = storage.getStore();
      if (buffer === undefined) original(...args);
      else buffer.write(level, args);
    };
  }
  return {
    /** Runs `task` with console output going to `buffer`. */
    run: (buffer, task) => storage.run(buffer, task),
  };
}
