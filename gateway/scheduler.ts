import { toFunctionSpec } from '../core/function-spec.ts';
import { newCallId, newId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { InvocationPayload } from '../core/messages.ts';
import type { FunctionRecord, Store } from '../core/store.ts';
import type { InvocationRequest } from './invoker.ts';
import { CronSchedule } from './scheduler-cron.ts';
import { realTimer, type CancelTimer, type SchedulerTimer } from './scheduler-timer.ts';

/** Enqueues an async invocation with the given id (the gateway's Invoker.accept). */
export type AcceptInvocation = (
  request: InvocationRequest,
  options: { id: string },
) => Promise<unknown>;

export interface SchedulerDeps {
  store: Store;
  logger: Logger;
  now: () => number;
  accept: AcceptInvocation;
  timer?: SchedulerTimer;
  /**
   * Longest sleep between looks at the function list: a schedule deployed through any gateway
   * starts within this. Also the pause before a tick whose enqueue failed is tried again.
   * Default 1000.
   */
  refreshMs?: number;
}

/**
 * - `idle`: created, not looking.
 * - `running`: firing due ticks.
 * - `stopped`: no more ticks; stop() waited for the one in progress.
 */
export type SchedulerState = 'idle' | 'running' | 'stopped';

/** Per function: its parsed schedule and the tick it last fired (or the deploy it counts from). */
interface Cursor {
  /** Version and trigger: a new deploy or rollback starts a new cursor. */
  key: string;
  schedule: CronSchedule;
  /** Ticks at or before this are done (fired, claimed elsewhere, or before the deploy). */
  after: number;
}

/**
 * Fires scheduled functions. Every gateway runs one; each due tick is claimed in the store
 * (one row per function and tick), and only the gateway whose claim succeeded enqueues it, so
 * each tick becomes exactly one async invocation however many gateways share the store.
 *
 * Missed ticks (no gateway running, or a loop held up): only the most recent due tick is fired,
 * once, and older ones are skipped: a gateway that starts again fires at most one catch-up
 * per function, for the tick that passed last while it was down, and only when that tick came
 * after the version's deploy and no other gateway fired it.
 */
export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #timer: SchedulerTimer;
  readonly #refreshMs: number;
  readonly #log: Logger;
  readonly #cursors = new Map<string, Cursor>();
  #state: SchedulerState = 'idle';
  #cancel: CancelTimer | undefined;
  #ticking: Promise<void> | undefined;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#timer = deps.timer ?? realTimer;
    this.#refreshMs = deps.refreshMs ?? 1000;
    this.#log = deps.logger.child({ part: 'scheduler' });
  }

  get state(): SchedulerState {
    return this.#state;
  }

  /** Starts firing; resolves after the first look (which fires any catch-up tick). */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`scheduler cannot start from state ${this.#state}`);
    this.#state = 'running';
    await this.#run();
  }

  /** Stops firing and waits for a look in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    this.#cancel?.();
    this.#cancel = undefined;
    await this.#ticking;
  }

  async #run(): Promise<void> {
    this.#cancel = undefined;
    if (this.#state !== 'running') return;
    const ticking = this.#tick();
    this.#ticking = ticking.then(
      () => undefined,
      () => undefined,
    );
    let wakeAt: number;
    try {
      wakeAt = await ticking;
    } catch (error) {
      this.#log.warn({ err: error }, 'could not look for due schedules');
      wakeAt = this.#deps.now() + this.#refreshMs;
    } finally {
      this.#ticking = undefined;
    }
    if (this.#state !== 'running') return;
    this.#cancel = this.#timer.set(wakeAt - this.#deps.now(), () => this.#run());
  }

  /** Fires what is due; returns when to look again. */
  async #tick(): Promise<number> {
    const now = this.#deps.now();
    let wakeAt = now + this.#refreshMs;
    const seen = new Set<string>();
    for (const record of await this.#deps.store.listFunctions()) {
      const cursor = this.#cursorOf(record);
      if (cursor === undefined) continue;
      seen.add(record.name);
      const due = cursor.schedule.latestAtOrBefore(now);
      if (due !== undefined && due > cursor.after) {
        // A failed enqueue leaves the cursor: the next look (within refreshMs) tries again.
        if (await this.#fire(record, cursor, due)) cursor.after = due;
      }
      const next = cursor.schedule.nextAfter(now);
      if (next !== undefined) wakeAt = Math.min(wakeAt, next);
    }
    for (const name of this.#cursors.keys()) if (!seen.has(name)) this.#cursors.delete(name);
    return wakeAt;
  }

  #cursorOf(record: FunctionRecord): Cursor | undefined {
    const trigger = record.active.manifest.triggers.schedule;
    if (trigger === undefined) return undefined;
    const key = `${record.activeVersion} ${trigger.cron} ${trigger.timezone ?? ''}`;
    const current = this.#cursors.get(record.name);
    if (current?.key === key) return current;
    let schedule: CronSchedule;
    try {
      schedule = new CronSchedule(trigger);
    } catch (error) {
      this.#log.error({ err: error, fn: record.name }, 'schedule cannot be parsed; not firing it');
      return undefined;
    }
    // Ticks count from the deploy (or rollback) that made this version active.
    const cursor = { key, schedule, after: record.updatedAt };
    this.#cursors.set(record.name, cursor);
    return cursor;
  }

  /**
   * Claims the tick and enqueues it. True when the tick is done with (fired here, or claimed
   * by another gateway); false when the enqueue failed and the claim was released for a retry.
   */
  async #fire(record: FunctionRecord, cursor: Cursor, scheduledAt: number): Promise<boolean> {
    const { store, now, accept } = this.#deps;
    const fn = record.name;
    const id = newId();
    if (!(await store.claimScheduledRun({ fn, scheduledAt, invocationId: id, now: now() }))) {
      return true;
    }
    const { cron } = cursor.schedule.trigger;
    const payload: InvocationPayload = {
      kind: 'event',
      data: { type: 'scheduled', scheduledTime: scheduledAt, cron },
    };
    const spec = toFunctionSpec(
      record.active.manifest,
      record.activeVersion,
      record.active.bundleSha,
    );
    const log = { fn, id, scheduledTime: new Date(scheduledAt).toISOString() };
    try {
      await accept({ fn: { record, spec }, callId: newCallId(), payload }, { id });
      this.#log.info(log, 'scheduled invocation enqueued');
      return true;
    } catch (error) {
      this.#log.warn({ ...log, err: error }, 'scheduled invocation not enqueued; will retry');
      await store.releaseScheduledRun(fn, scheduledAt, id);
      return false;
    }
  }
}
