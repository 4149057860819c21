/**
 * A scheduler under a clock the test moves by hand: a real SqliteStore on a temp file (shared
 * by several schedulers when given), the timer port recorded instead of waited on, and the
 * enqueued invocations collected.
 */
import type { TestContext } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import { silentLogger } from '../../core/logger.ts';
import type { InvocationRequest } from '../../gateway/invoker.ts';
import { Scheduler, type AcceptInvocation } from '../../gateway/scheduler.ts';
import type { SchedulerTimer } from '../../gateway/scheduler-timer.ts';

/** The clock all parts of one test read. */
export class ManualClock {
  at: number;

  constructor(at: number) {
    this.at = at;
  }

  now = (): number => this.at;
}

/** One pending wake-up at a time, as the scheduler keeps it. */
export class ManualTimer implements SchedulerTimer {
  readonly #clock: ManualClock;
  #pending: { at: number; run: () => Promise<void> } | undefined;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  /** When the scheduler asked to look again. */
  get wakeAt(): number | undefined {
    return this.#pending?.at;
  }

  set(ms: number, run: () => Promise<void>): () => void {
    const pending = { at: this.#clock.at + ms, run };
    this.#pending = pending;
    return () => {
      if (this.#pending === pending) this.#pending = undefined;
    };
  }

  /** Runs the wake-up if it is due by the clock's time (the scheduler then sets the next one). */
  async fireDue(): Promise<boolean> {
    const pending = this.#pending;
    if (pending === undefined || pending.at > this.#clock.at) return false;
    this.#pending = undefined;
    await pending.run();
    return true;
  }
}

/** An enqueued scheduled invocation, as the scheduler handed it over. */
export interface Fired {
  id: string;
  fn: string;
  version: number;
  data: unknown;
  by: string;
}

export interface SchedulerUnderTest {
  scheduler: Scheduler;
  store: SqliteStore;
  timer: ManualTimer;
}

/** Opens a store connection on `path` and a scheduler over it; both closed after the test. */
export async function schedulerOn(
  t: TestContext,
  options: {
    path: string;
    clock: ManualClock;
    fired: Fired[];
    name?: string;
    accept?: AcceptInvocation;
  },
): Promise<SchedulerUnderTest> {
  const { path, clock, fired, name = 'gw' } = options;
  const store = new SqliteStore({ path, now: clock.now });
  await store.init();
  const timer = new ManualTimer(clock);
  const record: AcceptInvocation = async (request: InvocationRequest, { id }) => {
    if (request.payload.kind !== 'event') throw new Error('scheduled payloads are events');
    fired.push({
      id,
      fn: request.fn.spec.name,
      version: request.fn.spec.version,
      data: request.payload.data,
      by: name,
    });
  };
  const scheduler = new Scheduler({
    store,
    logger: silentLogger(),
    now: clock.now,
    timer,
    accept: options.accept ?? record,
  });
  t.after(async () => {
    await scheduler.stop();
    await store.close();
  });
  return { scheduler, store, timer };
}

/**
 * Moves the shared clock to `at`, firing every scheduler's wake-ups due on the way in time
 * order; wake-ups due at the same instant run concurrently, as two gateways' would.
 */
export async function advance(
  clock: ManualClock,
  schedulers: SchedulerUnderTest[],
  at: number,
): Promise<void> {
  for (;;) {
    const due = schedulers
      .map((s) => s.timer.wakeAt)
      .filter((wake): wake is number => wake !== undefined && wake <= at);
    if (due.length === 0) break;
    clock.at = Math.max(clock.at, Math.min(...due));
    await Promise.all(schedulers.map((s) => s.timer.fireDue()));
  }
  clock.at = at;
}
