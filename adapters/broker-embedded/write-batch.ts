import type { CommitWaiter } from './lease.ts';
import type { LeasedRow, MessageTable } from './message-table.ts';

interface PendingInsert {
  queue: string;
  id: string;
  body: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** `availableAt` undefined: delete the row (ack); a number: release it (requeue). */
interface PendingSettle {
  seq: number;
  availableAt: number | undefined;
  /** Told when the settlement commits (a retry waits for it). */
  waiter?: CommitWaiter | undefined;
}

/** The writes of one event-loop turn, taken out to be committed. */
export interface TakenWrites {
  readonly size: number;
  /**
   * Applies the acks and requeues; call first in the transaction that commits them, so a row
   * requeued now is leased before this turn's inserts (it is older).
   */
  applySettles(table: MessageTable, owner: string): void;
  /**
   * Applies the inserts, in order, in the same transaction. While `room` holds free slots for a
   * row's queue (the caller leased every older ready row of it first), the row is inserted
   * leased to `owner`, one slot is used and the row goes to `onLeased` for delivery after the
   * commit; the others are inserted ready.
   */
  applyInserts(
    table: MessageTable,
    owner: string,
    room: Map<string, number>,
    onLeased: (queue: string, row: LeasedRow) => void,
  ): void;
  /** After the commit: the inserts are durable, their callers may go on. */
  committed(): void;
  /** After a rollback: inserts fail, settlements go back to the batch for the next turn. */
  failed(error: unknown, batch: WriteBatch): void;
}

/**
 * Writes gathered until the next commit (group commit). A commit costs far more than the
 * statements inside it, so one transaction per event-loop turn for every enqueue, result, ack
 * and requeue of that turn multiplies throughput, while a lone enqueue still commits at the end
 * of the current turn. Inserts resolve only after their commit (the durability promise of
 * enqueue/publishResult); settlements are fire-and-forget, since a lost ack only means a
 * redelivery, which at-least-once allows.
 */
export class WriteBatch {
  #inserts: PendingInsert[] = [];
  #settles: PendingSettle[] = [];

  get size(): number {
    return this.#inserts.length + this.#settles.length;
  }

  insert(queue: string, id: string, body: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#inserts.push({ queue, id, body, resolve, reject });
    });
  }

  ack(seq: number): void {
    this.#settles.push({ seq, availableAt: undefined });
  }

  release(seq: number, availableAt: number, waiter?: CommitWaiter): void {
    this.#settles.push({ seq, availableAt, waiter });
  }

  /** Fails whoever waits for a settlement that will never commit now (the broker closed). */
  abandon(error: unknown): void {
    for (const settle of this.#settles) settle.waiter?.reject(error);
    this.#settles = [];
  }

  take(): TakenWrites {
    const inserts = this.#inserts;
    const settles = this.#settles;
    this.#inserts = [];
    this.#settles = [];
    return {
      size: inserts.length + settles.length,
      applySettles: (table, owner) => {
        for (const { seq, availableAt } of settles) {
          if (availableAt === undefined) table.delete(seq, owner);
          else table.release(seq, owner, availableAt);
        }
      },
      applyInserts: (table, owner, room, onLeased) => {
        for (const { queue, id, body } of inserts) {
          const free = room.get(queue) ?? 0;
          if (free === 0) {
            table.insert(queue, id, body);
            continue;
          }
          room.set(queue, free - 1);
          onLeased(queue, table.insertLeased(queue, id, body, owner));
        }
      },
      committed: () => {
        for (const insert of inserts) insert.resolve();
        for (const settle of settles) settle.waiter?.resolve();
      },
      failed: (error, batch) => {
        for (const insert of inserts) insert.reject(error);
        // Settlements are retried with the next commit; whoever waits keeps waiting for it.
        batch.#settles.unshift(...settles);
      },
    };
  }
}
