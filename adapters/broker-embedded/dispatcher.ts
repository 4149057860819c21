import type { DatabaseSync } from 'node:sqlite';
import type { Subscription } from '../../core/broker.ts';
import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import {
  assign,
  ConsumerSet,
  freeSlots,
  type Consumer,
  type LeaseHandler,
} from './consumer-set.ts';
import { Lease, retryDelayMs, type Settlement } from './lease.ts';
import type { LeasedRow, MessageTable } from './message-table.ts';
import { transaction } from './schema.ts';
import type { SyncCall, SyncCalls } from './sync-calls.ts';
import { WriteBatch, type TakenWrites } from './write-batch.ts';

export interface DispatcherOptions {
  db: DatabaseSync;
  /** This instance's id, the owner of the rows it leases. */
  owner: string;
  table: MessageTable;
  calls: SyncCalls;
  now: () => number;
  logger: Logger;
  /** Told after every successful commit (the WAL checkpointer counts them). */
  onCommit?: () => void;
}

type Item =
  | { kind: 'sync'; call: SyncCall }
  | { kind: 'row'; seq: number; payload: unknown; attempt: number };

interface Want {
  queue: string;
  consumers: readonly Consumer[];
  free: number;
}

/**
 * The one writer and deliverer of an instance. Every event that can change what is deliverable
 * here (enqueue, call, ack, requeue, a new consumer) marks its queue and schedules one round on
 * setImmediate. A round hands out the waiting sync calls first (no database involved), then
 * commits the turn's writes and leases rows for the marked queues in ONE transaction, then
 * starts those handlers. So there is no polling latency on the hot path, one commit serves every
 * message of a turn (group commit), and a handler failing in a loop still lets timers and I/O
 * run between rounds (a microtask chain would starve them). An enqueue of this turn that finds a
 * free slot, once the older ready rows of its queue are leased, is written already leased: one
 * write per message instead of an insert and a lease UPDATE. Rows written by other instances are
 * noticed by the poll of Housekeeping, which calls {@link Dispatcher.notifyAll}.
 *
 * Sync calls of a function go before its rows: their callers wait with a deadline, async
 * invocations were accepted to wait.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #writes = new WriteBatch();
  readonly #consumers = new ConsumerSet();
  readonly #dirty = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  /** Adds a consumer of `queue` with at most `prefetch` unsettled deliveries. */
  subscribe(queue: string, prefetch: number, handler: LeaseHandler): Subscription {
    const subscription = this.#consumers.add(queue, prefetch, handler);
    this.notify(queue);
    return subscription;
  }

  /** Appends a row; resolves once it is committed. */
  insert(queue: string, id: string, body: string): Promise<void> {
    const committed = this.#writes.insert(queue, id, body);
    this.notify(queue);
    return committed;
  }

  /**
   * Deletes every row of `queue`. Commits the pending writes first, so an enqueue issued before
   * the delete cannot land after it.
   */
  deleteQueue(queue: string): number {
    this.#commit(this.#writes.take(), []);
    return this.#options.table.deleteQueue(queue);
  }

  /**
   * What waits in `queue`: its ready rows (committed ones: a pending enqueue has not resolved yet)
   * plus the sync calls not delivered yet.
   */
  depth(queue: string): number {
    const { table, calls, now } = this.#options;
    return table.countReady(queue, now()) + calls.countWaiting(queue);
  }

  /** Schedules a round for `queue`. */
  notify(queue: string): void {
    if (this.#closed) return;
    this.#dirty.add(queue);
    this.#immediate ??= setImmediate(() => this.#round());
  }

  /** Schedules a round for every consumed queue (another instance wrote). */
  notifyAll(): void {
    for (const queue of this.#consumers.queues()) this.notify(queue);
  }

  /**
   * Commits what this turn gathered (enqueues waiting for it, acks), then drops every consumer;
   * later settlements are no-ops, since the caller releases this instance's leases.
   */
  close(): void {
    if (this.#closed) return;
    this.#commit(this.#writes.take(), []);
    this.#writes.abandon(closedError());
    this.#closed = true;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#consumers.clear();
    this.#dirty.clear();
  }

  #round(): void {
    this.#immediate = undefined;
    const queues = [...this.#dirty];
    this.#dirty.clear();
    // Sync calls first, before the commit: they need no database and their callers wait.
    const calls: [Consumer, Item][] = [];
    for (const queue of queues) {
      const consumers = this.#consumers.get(queue);
      if (consumers === undefined) continue;
      for (const call of this.#options.calls.take(queue, freeSlots(consumers))) {
        assign(consumers, { kind: 'sync', call }, calls);
      }
    }
    for (const [consumer, item] of calls) this.#deliver(consumer, item);
    if (this.#closed) return;

    const rows: [Consumer, Item][] = [];
    try {
      const wants: Want[] = [];
      for (const queue of queues) {
        const consumers = this.#consumers.get(queue);
        const free = consumers === undefined ? 0 : freeSlots(consumers);
        if (consumers !== undefined && free > 0) wants.push({ queue, consumers, free });
      }
      // Taken after the sync handlers ran: what they wrote joins this commit.
      const writes = this.#writes.take();
      const now = this.#options.now();
      // Without writes to commit, a transaction is worth opening only for queues with rows.
      const leasing =
        writes.size > 0 ? wants : wants.filter((w) => this.#options.table.hasReady(w.queue, now));
      for (const [want, leased] of this.#commit(writes, leasing)) {
        for (const row of leased) {
          const item = this.#readRow(want.queue, row, now);
          if (item !== undefined) assign(want.consumers, item, rows);
        }
      }
    } catch (error) {
      // The poll comes back later: a busy file or a full disk must not kill the process.
      this.#options.logger.error({ err: error }, 'delivery round failed');
    }
    for (const [consumer, item] of rows) this.#deliver(consumer, item);
  }

  #commit(writes: TakenWrites, leasing: Want[]): [Want, LeasedRow[]][] {
    if (writes.size === 0 && leasing.length === 0) return [];
    const { db, table, owner, now, logger } = this.#options;
    try {
      const leased = transaction(db, () => {
        writes.applySettles(table, owner);
        const at = now();
        const byQueue = new Map<string, LeasedRow[]>();
        // Slots the ready rows (older than this turn's inserts) left free: the inserts of the
        // queue take them, leased as they are written instead of by a later UPDATE.
        const room = new Map<string, number>();
        for (const w of leasing) {
          const rows = table.lease(w.queue, owner, w.free, at);
          byQueue.set(w.queue, rows);
          if (rows.length < w.free) room.set(w.queue, w.free - rows.length);
        }
        writes.applyInserts(table, owner, room, (queue, row) => byQueue.get(queue)?.push(row));
        return leasing.map((w): [Want, LeasedRow[]] => [w, byQueue.get(w.queue) ?? []]);
      });
      writes.committed();
      this.#options.onCommit?.();
      return leased;
    } catch (error) {
      logger.error({ err: error }, 'embedded broker commit failed');
      const cause = { cause: error };
      writes.failed(
        new FjordError('BROKER_UNAVAILABLE', 'embedded broker commit failed', cause),
        this.#writes,
      );
      return [];
    }
  }

  /** The delivery for a leased row, or undefined when the row must be dropped instead. */
  #readRow(queue: string, row: LeasedRow, now: number): Item | undefined {
    let payload: unknown;
    try {
      payload = JSON.parse(row.body);
    } catch (error) {
      this.#options.logger.error(
        { err: error, queue, seq: row.seq },
        'dropping unreadable message',
      );
      payload = undefined;
    }
    const replyBy = (payload as { replyBy?: unknown } | undefined)?.replyBy;
    if (payload !== undefined && !(typeof replyBy === 'number' && now >= replyBy)) {
      return { kind: 'row', seq: row.seq, payload, attempt: row.deliveries };
    }
    // Its caller gave up (or it cannot be read): delete it, and refill the slot next round.
    this.#writes.ack(row.seq);
    this.notify(queue);
    return undefined;
  }

  #deliver(consumer: Consumer, item: Item): void {
    // A handler of this round closed the broker: its leases are released, nobody may run these.
    if (this.#closed) return;
    const onSettle = (settlement: Settlement): void => this.#settle(consumer, item, settlement);
    const lease =
      item.kind === 'sync'
        ? new Lease<unknown>(item.call.message, item.call.deliveries, onSettle)
        : new Lease(item.payload, item.attempt, onSettle);
    void this.#run(consumer, lease);
  }

  async #run(consumer: Consumer, lease: Lease<unknown>): Promise<void> {
    try {
      await consumer.handler(lease);
    } catch (error) {
      this.#options.logger.error(
        { err: error, queue: consumer.queue, attempt: lease.attempt },
        'consumer failed; message requeued',
      );
      lease.requeue(retryDelayMs(lease.attempt));
    }
  }

  #settle(consumer: Consumer, item: Item, settlement: Settlement): void {
    consumer.unsettled--;
    // close() released every lease of this instance at once.
    if (this.#closed) {
      if (settlement.kind === 'requeue') settlement.committed?.reject(closedError());
      return;
    }
    if (item.kind === 'sync') {
      if (settlement.kind === 'requeue') {
        this.#options.calls.requeue(item.call);
        settlement.committed?.resolve();
      }
    } else if (settlement.kind === 'ack') {
      this.#writes.ack(item.seq);
    } else {
      const { delayMs, committed } = settlement;
      this.#writes.release(item.seq, this.#options.now() + delayMs, committed);
      if (delayMs > 0) this.#wakeAfter(consumer.queue, delayMs);
    }
    this.notify(consumer.queue);
  }

  #wakeAfter(queue: string, delayMs: number): void {
    // One millisecond late on purpose: a timer may fire within the millisecond it is due, when
    // the row is not ready yet by the clock, and the next full scan is a second away.
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.notify(queue);
    }, delayMs + 1);
    timer.unref();
    this.#timers.add(timer);
  }
}

function closedError(): FjordError {
  return new FjordError('BROKER_UNAVAILABLE', 'the embedded broker closed before the retry');
}
