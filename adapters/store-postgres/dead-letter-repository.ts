import type { DeadLetter, InvocationMessage } from '../../core/messages.ts';
import type { DeadLetterQuery, DeadLetterRecord } from '../../core/store.ts';
import {
  DEAD_LETTER_COLUMNS,
  deadLetterLimit,
  toDeadLetter,
  type DeadLetterRow,
} from '../sql-store/dead-letter-rows.ts';
import type { Queryable } from './database.ts';
import { ms } from './invocation-repository.ts';
import { toJson } from './json.ts';

/** Each function's dead-letter queue: the messages given up on, with their last error. */
export class DeadLetterRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /**
   * A letter of a function deleted meanwhile has no queue to go to. Takes a share lock on the
   * function's row, so a concurrent delete waits for the caller's transaction.
   */
  async functionExists(fn: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('SELECT 1 FROM functions WHERE name = $1 FOR SHARE', [
      fn,
    ]);
    return rowCount > 0;
  }

  /** Adds the letter; a second letter for the same invocation (a duplicate) adds nothing. */
  async insert(letter: DeadLetter): Promise<void> {
    const { message } = letter;
    await this.#db.query(
      `INSERT INTO dead_letters (${DEAD_LETTER_COLUMNS.replace('seq, ', '')}, message)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::jsonb)
       ON CONFLICT (invocation_id) DO NOTHING`,
      [
        message.fn.name,
        message.id,
        message.callId,
        message.fn.version,
        letter.attempt,
        letter.node,
        toJson(letter.error),
        ms(message.acceptedAt),
        ms(letter.deadAt),
        toJson(message),
      ],
    );
  }

  async list(fn: string, query: DeadLetterQuery = {}): Promise<DeadLetterRecord[]> {
    const limit = deadLetterLimit(query);
    const { rows } = await this.#db.query<DeadLetterRow>(
      `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE fn = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [fn, query.afterSeq ?? 0, limit],
    );
    return rows.map(toDeadLetter);
  }

  async count(fn: string): Promise<number> {
    const { rows } = await this.#db.query<{ n: number }>(
      'SELECT count(*) AS n FROM dead_letters WHERE fn = $1',
      [fn],
    );
    return rows[0]?.n ?? 0;
  }

  async get(
    fn: string,
    id: string,
  ): Promise<(DeadLetterRecord & { message: InvocationMessage }) | undefined> {
    const { rows } = await this.#db.query<DeadLetterRow & { message: string }>(
      `SELECT ${DEAD_LETTER_COLUMNS}, message FROM dead_letters WHERE fn = $1 AND invocation_id = $2`,
      [fn, id],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return { ...toDeadLetter(row), message: JSON.parse(row.message) as InvocationMessage };
  }

  /** Removes one entry; returns the attempt it gave up on, or undefined when it was not there. */
  async take(fn: string, id: string): Promise<number | undefined> {
    const { rows } = await this.#db.query<{ attempt: number }>(
      'DELETE FROM dead_letters WHERE fn = $1 AND invocation_id = $2 RETURNING attempt',
      [fn, id],
    );
    return rows[0]?.attempt;
  }

  /** Removes every entry of the function's queue; returns how many. */
  async purge(fn: string): Promise<number> {
    return (await this.#db.query('DELETE FROM dead_letters WHERE fn = $1', [fn])).rowCount;
  }
}
