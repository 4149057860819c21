import type { DeadLetter, InvocationMessage } from '../../core/messages.ts';
import type { DeadLetterQuery, DeadLetterRecord } from '../../core/store.ts';
import {
  DEAD_LETTER_COLUMNS,
  deadLetterLimit,
  toDeadLetter,
  type DeadLetterRow,
} from '../sql-store/dead-letter-rows.ts';
import type { Connection } from './connection.ts';

/** Each function's dead-letter queue: the messages given up on, with their last error. */
export class DeadLetterRepository {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** A letter of a function deleted meanwhile has no queue to go to. */
  functionExists(fn: string): boolean {
    return this.#db.get('SELECT 1 FROM functions WHERE name = :fn', { fn }) !== undefined;
  }

  /** Adds the letter; a second letter for the same invocation (a duplicate) adds nothing. */
  insert(letter: DeadLetter): void {
    const { message } = letter;
    this.#db.run(
      `INSERT INTO dead_letters (${DEAD_LETTER_COLUMNS.replace('seq, ', '')}, message)
       VALUES (:fn, :id, :callId, :version, :attempt, :node, :error, :queuedAt, :deadAt, :message)
       ON CONFLICT (invocation_id) DO NOTHING`,
      {
        fn: message.fn.name,
        id: message.id,
        callId: message.callId,
        version: message.fn.version,
        attempt: letter.attempt,
        node: letter.node,
        error: JSON.stringify(letter.error),
        queuedAt: message.acceptedAt,
        deadAt: letter.deadAt,
        message: JSON.stringify(message),
      },
    );
  }

  list(fn: string, query: DeadLetterQuery = {}): DeadLetterRecord[] {
    const limit = deadLetterLimit(query);
    return this.#db
      .all<DeadLetterRow>(
        `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE fn = :fn AND seq > :after
         ORDER BY seq LIMIT :limit`,
        { fn, after: query.afterSeq ?? 0, limit },
      )
      .map(toDeadLetter);
  }

  count(fn: string): number {
    return (
      this.#db.get<{ n: number }>('SELECT count(*) AS n FROM dead_letters WHERE fn = :fn', { fn })
        ?.n ?? 0
    );
  }

  get(fn: string, id: string): (DeadLetterRecord & { message: InvocationMessage }) | undefined {
    const row = this.#db.get<DeadLetterRow & { message: string }>(
      `SELECT ${DEAD_LETTER_COLUMNS}, message FROM dead_letters WHERE fn = :fn AND invocation_id = :id`,
      { fn, id },
    );
    if (row === undefined) return undefined;
    return { ...toDeadLetter(row), message: JSON.parse(row.message) as InvocationMessage };
  }

  /** Removes one entry; returns the attempt it gave up on, or undefined when it was not there. */
  take(fn: string, id: string): number | undefined {
    return this.#db.get<{ attempt: number }>(
      'DELETE FROM dead_letters WHERE fn = :fn AND invocation_id = :id RETURNING attempt',
      { fn, id },
    )?.attempt;
  }

  /** Removes every entry of the function's queue; returns how many. */
  purge(fn: string): number {
    return this.#db.run('DELETE FROM dead_letters WHERE fn = :fn', { fn }).changes;
  }
}
