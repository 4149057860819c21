import type { ErrorData } from '../../core/errors.ts';
import type { DeadLetter, InvocationMessage } from '../../core/messages.ts';
import type { DeadLetterQuery, DeadLetterRecord } from '../../core/store.ts';
import type { Connection } from './connection.ts';

interface DeadLetterRow {
  seq: number;
  fn: string;
  invocation_id: string;
  call_id: string;
  version: number;
  attempt: number;
  node: string;
  error: string;
  queued_at: number;
  dead_at: number;
}

const COLUMNS = `seq, fn, invocation_id, call_id, version, attempt, node, error, queued_at, dead_at`;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

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
      `INSERT INTO dead_letters (${COLUMNS.replace('seq, ', '')}, message)
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
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
    return this.#db
      .all<DeadLetterRow>(
        `SELECT ${COLUMNS} FROM dead_letters WHERE fn = :fn AND seq > :after
         ORDER BY seq LIMIT :limit`,
        { fn, after: query.afterSeq ?? 0, limit },
      )
      .map(toRecord);
  }

  count(fn: string): number {
    return (
      this.#db.get<{ n: number }>('SELECT count(*) AS n FROM dead_letters WHERE fn = :fn', { fn })
        ?.n ?? 0
    );
  }

  get(fn: string, id: string): (DeadLetterRecord & { message: InvocationMessage }) | undefined {
    const row = this.#db.get<DeadLetterRow & { message: string }>(
      `SELECT ${COLUMNS}, message FROM dead_letters WHERE fn = :fn AND invocation_id = :id`,
      { fn, id },
    );
    if (row === undefined) return undefined;
    return { ...toRecord(row), message: JSON.parse(row.message) as InvocationMessage };
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

function toRecord(row: DeadLetterRow): DeadLetterRecord {
  return {
    seq: row.seq,
    fn: row.fn,
    invocationId: row.invocation_id,
    callId: row.call_id,
    version: row.version,
    attempt: row.attempt,
    node: row.node,
    error: JSON.parse(row.error) as ErrorData,
    queuedAt: row.queued_at,
    deadAt: row.dead_at,
  };
}
