/**
 * console and ctx.log: each call is formatted here and sent to the host as one LogEntry of the
 * current invocation. The per-invocation budget is counted here too, so a chatty function stops
 * paying for crossings once the host would drop its lines anyway.
 */
import type { WireLogLevel } from '../protocol.ts';
import { formatLogArgs } from './format.ts';

export type LogMethod = (...args: unknown[]) => void;

export interface ConsoleLike {
  debug: LogMethod;
  info: LogMethod;
  log: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

export class LogSink {
  readonly #send: (generation: number, level: WireLogLevel, ts: number, message: string) => void;
  readonly #limit: number;
  #generation = 0;
  #used = 0;
  #sent = 0;

  constructor(
    send: (generation: number, level: WireLogLevel, ts: number, message: string) => void,
    limit: number,
  ) {
    this.#send = send;
    this.#limit = limit;
  }

  /** Attributes later lines to invocation `generation` (0: nobody, lines are dropped). */
  reset(generation: number): void {
    if (generation === this.#generation) return;
    this.#generation = generation;
    this.#used = 0;
    this.#sent = 0;
  }

  write(level: WireLogLevel, args: unknown[]): void {
    if (this.#generation === 0 || this.#used > this.#limit) return;
    let message: string;
    try {
      message = formatLogArgs(args);
    } catch (error) {
      message = `[unprintable: ${String(error)}]`;
    }
    // One character past the budget is enough for the host to see it was exceeded.
    const room = this.#limit - this.#used + 1;
    if (message.length > room) message = message.slice(0, room);
    this.#used += message.length;
    this.#sent += 1;
    this.#send(this.#generation, level, Date.now(), message);
  }

  /**
   * Lines sent for the current invocation. Replies carry it, because lines travel on their own
   * channel and can arrive after the reply: the host waits until it has them all.
   */
  get sent(): number {
    return this.#sent;
  }

  console(): ConsoleLike {
    return {
      debug: (...args) => this.write('debug', args),
      info: (...args) => this.write('info', args),
      log: (...args) => this.write('info', args),
      warn: (...args) => this.write('warn', args),
      error: (...args) => this.write('error', args),
    };
  }
}
