/** The console output of one invocation, capped so a chatty function cannot flood the results. */
import type { LogEntry, LogLevel } from '../../core/messages.ts';

const LEVELS: ReadonlySet<string> = new Set<LogLevel>(['debug', 'info', 'warn', 'error']);

export class LogCollector {
  readonly entries: LogEntry[] = [];
  readonly #limitBytes: number;
  readonly #onEntry: ((entry: LogEntry) => void) | undefined;
  #bytes = 0;
  #truncated = false;

  constructor(limitBytes: number, onEntry?: (entry: LogEntry) => void) {
    this.#limitBytes = limitBytes;
    this.#onEntry = onEntry;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  /** Adds one line; values come from the isolate, so nothing about them is trusted. */
  add(level: unknown, ts: unknown, message: unknown): void {
    if (this.#truncated) return;
    let text = typeof message === 'string' ? message : String(message);
    const size = Buffer.byteLength(text);
    if (this.#bytes + size > this.#limitBytes) {
      text = Buffer.from(text)
        .subarray(0, this.#limitBytes - this.#bytes)
        .toString();
      if (text.length > 0) this.#push(level, ts, text);
      this.#truncated = true;
      this.#push(
        'warn',
        Date.now(),
        `[log output truncated: more than ${this.#limitBytes} bytes in one invocation]`,
      );
      return;
    }
    this.#bytes += size;
    this.#push(level, ts, text);
  }

  #push(level: unknown, ts: unknown, message: string): void {
    const entry: LogEntry = {
      ts: typeof ts === 'number' && Number.isFinite(ts) ? ts : Date.now(),
      level: typeof level === 'string' && LEVELS.has(level) ? (level as LogLevel) : 'info',
      message,
    };
    this.entries.push(entry);
    this.#onEntry?.(entry);
  }
}
