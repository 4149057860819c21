import { AttemptRepository } from './attempt-repository.ts';
import { CallbackRepository } from './callback-repository.ts';
import type { Queryable } from './database.ts';
import { DeadLetterRepository } from './dead-letter-repository.ts';
import { FunctionRepository } from './function-repository.ts';
import { IdempotencyRepository } from './idempotency-repository.ts';
import { InvocationOutcomes } from './invocation-outcomes.ts';
import { InvocationRepository } from './invocation-repository.ts';
import { LogRepository } from './log-repository.ts';
import { ScheduleRepository } from './schedule-repository.ts';
import { SecretRepository } from './secret-repository.ts';
import { TokenRepository } from './token-repository.ts';

/** Every repository, bound to one Queryable: the pool, or the client of one transaction. */
export interface Repositories {
  tokens: TokenRepository;
  functions: FunctionRepository;
  invocations: InvocationRepository;
  outcomes: InvocationOutcomes;
  attempts: AttemptRepository;
  logs: LogRepository;
  deadLetters: DeadLetterRepository;
  idempotency: IdempotencyRepository;
  callbacks: CallbackRepository;
  schedules: ScheduleRepository;
  secrets: SecretRepository;
}

/** Repositories hold no state but their Queryable, so binding a set per transaction is cheap. */
export function repositories(db: Queryable, now: () => number): Repositories {
  return {
    tokens: new TokenRepository(db, now),
    functions: new FunctionRepository(db, now),
    invocations: new InvocationRepository(db),
    outcomes: new InvocationOutcomes(db),
    attempts: new AttemptRepository(db),
    logs: new LogRepository(db),
    deadLetters: new DeadLetterRepository(db),
    idempotency: new IdempotencyRepository(db),
    callbacks: new CallbackRepository(db),
    schedules: new ScheduleRepository(db),
    secrets: new SecretRepository(db, now),
  };
}
