/**
 * The two writes of every invocation, its acceptance and each attempt's result, as both SQL
 * stores make them: the statement and its values side by side, so their order is written once.
 * Each store passes what differs: its parameter mark and largest-of function, and a codec for
 * the values.
 */
import { modeOfResult, triggerOfResult, type InvocationResult } from '../../core/messages.ts';
import type { InvocationRecord } from '../../core/store.ts';
import { INVOCATION_COLUMNS, statusAfter, summarize } from './invocation-rows.ts';

/** SQLite: `?1` and max(); PostgreSQL: `$1` and greatest(). */
export interface SqlDialect {
  readonly mark: '?' | '$';
  readonly greatest: 'max' | 'greatest';
}

/**
 * How one SQL dialect binds an invocation's values: `Absent` is what an absent value is bound
 * as, `Flag` the type of a boolean column.
 */
export interface InvocationCodec<Absent extends null | undefined, Flag> {
  readonly absent: Absent;
  /** Epoch ms or a duration. */
  time(value: number | undefined): number | Absent;
  flag(value: boolean | undefined): Flag | Absent;
  /** JSON text; `undefined` stays absent, `null` is kept as JSON null. */
  json(value: unknown): string | Absent;
}

/** Values bound in the order of their statement's parameters. */
export type InvocationValues<Absent, Flag> = (string | number | Flag | Absent)[];

/**
 * The two writes of every invocation in one dialect: each statement, built once (a store's
 * statement cache is keyed by the SQL), and the values it binds, encoded by the dialect's codec.
 */
export class InvocationWrites<Absent extends null | undefined, Flag> {
  /**
   * Inserts an accepted record. When a result got there first (a race between the gateway and
   * the results queue), only the acceptance facts are filled in and the progress is kept.
   */
  readonly accept: string;
  /**
   * Writes one attempt's outcome, creating the record when it is missing (sync calls, or a
   * result that overtook its acceptance). A result for an attempt older than, or the same as,
   * the one recorded changes nothing, nor does any result of a cancelled invocation, and a
   * `dead` invocation stays dead (only a redrive reopens it; see statusAfter). A result records
   * the version that ran it: a redrive runs the active version, not the accepted one. A result
   * has no queue time of its own, so its start stands in for `queued_at` (parameter 9 twice), and
   * its attempt is also `result_attempt` (8 twice).
   */
  readonly result: string;
  readonly #codec: InvocationCodec<Absent, Flag>;

  constructor({ mark, greatest }: SqlDialect, codec: InvocationCodec<Absent, Flag>) {
    this.#codec = codec;
    this.accept = `INSERT INTO invocations (${INVOCATION_COLUMNS})
   VALUES (${parameters(mark, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17])})
   ON CONFLICT (id) DO UPDATE SET
     call_id = excluded.call_id, mode = excluded.mode,
     trigger_kind = excluded.trigger_kind, queued_at = excluded.queued_at`;
    this.result = `INSERT INTO invocations (${INVOCATION_COLUMNS}, result_attempt, next_attempt_at)
   VALUES (${parameters(mark, [1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 11, 12, 13, 14, 15, 16, 8, 17])})
   ON CONFLICT (id) DO UPDATE SET
     status = CASE WHEN invocations.status = 'dead' THEN 'dead' ELSE excluded.status END,
     attempts = ${greatest}(invocations.attempts, excluded.attempts),
     version = excluded.version, started_at = excluded.started_at, ended_at = excluded.ended_at,
     duration_ms = excluded.duration_ms, cold_start = excluded.cold_start,
     cpu_ms = excluded.cpu_ms, node = excluded.node, result = excluded.result,
     error = excluded.error, result_attempt = excluded.result_attempt,
     next_attempt_at = excluded.next_attempt_at
   WHERE (invocations.result_attempt IS NULL
          OR invocations.result_attempt < excluded.result_attempt)
     AND invocations.status <> 'cancelled'`;
  }

  /** The values of {@link accept}, one per column of INVOCATION_COLUMNS in its order. */
  acceptValues(record: InvocationRecord): InvocationValues<Absent, Flag> {
    const codec = this.#codec;
    return [
      record.id,
      record.callId,
      record.fn,
      record.version,
      record.mode,
      record.trigger,
      record.status,
      record.attempts,
      codec.time(record.queuedAt),
      codec.time(record.startedAt),
      codec.time(record.endedAt),
      codec.time(record.durationMs),
      codec.flag(record.coldStart),
      record.cpuMs ?? codec.absent,
      record.node ?? codec.absent,
      codec.json(record.result),
      codec.json(record.error),
    ];
  }

  /** The values of {@link result}: those of INVOCATION_COLUMNS but `queued_at`, then `next_attempt_at`. */
  resultValues(result: InvocationResult): InvocationValues<Absent, Flag> {
    const codec = this.#codec;
    return [
      result.id,
      result.callId,
      result.fn,
      result.version,
      modeOfResult(result),
      triggerOfResult(result),
      statusAfter(result),
      result.attempt,
      codec.time(result.startedAt),
      codec.time(result.endedAt),
      codec.time(result.endedAt - result.startedAt),
      codec.flag(result.coldStart),
      result.cpuMs ?? codec.absent,
      result.node,
      codec.json(summarize(result)),
      codec.json(result.error),
      result.next?.action === 'retry' ? codec.time(result.next.at) : codec.absent,
    ];
  }
}

function parameters(mark: '?' | '$', numbers: number[]): string {
  return numbers.map((n) => `${mark}${n}`).join(', ');
}
