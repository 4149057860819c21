import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Logger } from '../../core/logger.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { InstanceRegistry } from './instance-registry.ts';

export interface HousekeepingOptions {
  db: DatabaseSync;
  registry: InstanceRegistry;
  dispatcher: Dispatcher;
  logger: Logger;
  pollIntervalMs: number;
  heartbeatIntervalMs: number;
}

/** Every queue is scanned at least this often, even when no other instance wrote. */
const FULL_SCAN_MS = 1000;

/**
 * The background work of one instance, on unref'd timers (they never keep a process alive):
 *
 * - poll: `PRAGMA data_version` changes when another connection committed to the file, so a
 *   tick costs one pragma while nobody else writes, and rows enqueued by another instance reach
 *   this one's consumers within a poll interval. A slower full scan also catches rows whose
 *   retry delay ran out without anybody writing.
 * - heartbeat: refreshes this instance's row and releases the leases of dead instances.
 */
export class Housekeeping {
  readonly #options: HousekeepingOptions;
  readonly #dataVersion: StatementSync;
  #lastVersion: unknown;
  #lastScan = 0;
  #lastBeat = 0;
  #timers: NodeJS.Timeout[] = [];

  constructor(options: HousekeepingOptions) {
    this.#options = options;
    this.#dataVersion = options.db.prepare('PRAGMA data_version');
  }

  start(): void {
    const { pollIntervalMs, heartbeatIntervalMs } = this.#options;
    this.#lastVersion = this.#readVersion();
    this.#lastScan = this.#lastBeat = performance.now();
    this.#timers = [
      setInterval(() => this.#poll(), pollIntervalMs),
      setInterval(() => this.#beat(), heartbeatIntervalMs),
    ];
    for (const timer of this.#timers) timer.unref();
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  #poll(): void {
    try {
      const version = this.#readVersion();
      const now = performance.now();
      if (version !== this.#lastVersion || now - this.#lastScan >= FULL_SCAN_MS) {
        this.#lastVersion = version;
        this.#lastScan = now;
        this.#options.dispatcher.notifyAll();
      }
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'broker poll failed');
    }
  }

  #beat(): void {
    const { registry, dispatcher, heartbeatIntervalMs, logger } = this.#options;
    const now = performance.now();
    // After a stall of this process every heartbeat looks old, its own included: judge nobody
    // by heartbeat age on this round.
    const trustHeartbeats = now - this.#lastBeat < 2 * heartbeatIntervalMs;
    this.#lastBeat = now;
    try {
      registry.beat();
      const released = registry.reapDead(trustHeartbeats);
      if (released > 0) {
        logger.warn({ released }, 'released the leases of dead broker instances');
        dispatcher.notifyAll();
      }
    } catch (error) {
      logger.warn({ err: error }, 'broker heartbeat failed');
    }
  }

  #readVersion(): unknown {
    return (this.#dataVersion.get() as { data_version?: unknown } | undefined)?.data_version;
  }
}
