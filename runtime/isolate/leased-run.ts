/**
 * One invocation on an isolate the pool lent out: boots it on a cold start, dispatches, and
 * races the work against the wall-clock deadline and, when fn.json sets `cpuMs`, the CPU
 * watchdog. An isolate that overruns either is disposed. ctx.waitUntil work left after the
 * reply runs on in the background under the same two limits; the isolate is released after it.
 */
import type { ErrorData } from '../../core/errors.ts';
import type { InvocationContext } from '../../core/executor.ts';
import type { Logger } from '../../core/logger.ts';
import type { FunctionSpec, InvocationPayload } from '../../core/messages.ts';
import { CpuWatchdog } from './cpu-watchdog.ts';
import type { Deadline } from './deadline.ts';
import type { DispatchResult, Dispatched } from './decode-reply.ts';
import { timeoutError } from '../timeout-error.ts';
import { cpuLimitError } from './instance-faults.ts';
import type { IsolateInstance } from './isolate-instance.ts';
import type { LogCollector } from './log-collector.ts';

export interface LeasedRun {
  instance: IsolateInstance;
  fn: FunctionSpec;
  payload: InvocationPayload;
  ctx: InvocationContext;
  deadline: Deadline;
  logs: LogCollector;
  /** Gives the isolate back to its pool; called exactly once, when the invocation is over. */
  release: () => void;
  /** Told about waitUntil work that outlives the reply, so shutdown can wait for it. */
  background: (work: Promise<void>) => void;
  logger?: Logger;
}

export interface RunResult {
  result: DispatchResult;
  /** CPU time the invocation used up to its reply. */
  cpuMs?: number;
}

type Overrun = 'deadline' | 'cpu';

export async function runLeased(run: LeasedRun): Promise<RunResult> {
  const { instance, fn, deadline, ctx } = run;
  const budgetMs = ctx.deadline - Date.now();
  const generation = instance.begin(run.logs, ctx.deadline);
  let watchdog: CpuWatchdog | undefined;
  let cpuBefore: bigint | undefined;
  const cpuUsed = (): number | undefined => {
    const now = instance.cpuTime();
    return cpuBefore === undefined || now === undefined ? undefined : Number(now - cpuBefore) / 1e6;
  };
  // The watchdog starts with the dispatch: a cold start's boot is not the function's CPU time.
  let watching: (watchdog: CpuWatchdog) => void = () => {};
  const cpuExceeded = new Promise<Overrun>((resolve) => {
    watching = (w) => void w.exceeded.then(() => resolve('cpu'));
  });
  const overrun = Promise.race([deadline.expired.then((): Overrun => 'deadline'), cpuExceeded]);
  const fail = (error: ErrorData, cpuMs?: number): RunResult => {
    watchdog?.stop();
    run.release();
    return { result: { ok: false, error }, ...(cpuMs === undefined ? {} : { cpuMs }) };
  };

  const work = (async (): Promise<Dispatched> => {
    if (instance.state === 'new') {
      const fault = await instance.boot(generation);
      if (fault !== null) {
        instance.dispose('broken');
        return { result: { ok: false, error: fault }, waitUntil: false };
      }
    }
    // A code cache still being taken in the isolate would count against this invocation's CPU.
    const caching = instance.caching;
    if (caching !== undefined) await caching;
    cpuBefore = instance.cpuTime();
    if (fn.cpuMs !== undefined) {
      watchdog = new CpuWatchdog(() => instance.cpuTime(), fn.cpuMs);
      watching(watchdog);
    }
    return instance.dispatch(run.payload, ctx, generation);
  })();
  let dispatched: Dispatched | Overrun;
  try {
    dispatched = await Promise.race([work, overrun]);
  } catch (error) {
    const cpuMs = cpuUsed();
    const failure = instance.failure(error);
    await instance.stop('broken');
    return fail(failure, cpuMs);
  }
  if (dispatched === 'deadline' || dispatched === 'cpu') {
    const cpuMs = cpuUsed();
    work.catch(() => {});
    // The isolate may be spinning or awaiting forever: only disposal stops it.
    await instance.stop(dispatched === 'cpu' ? 'cpu-limit' : 'timeout');
    return fail(
      dispatched === 'cpu' ? cpuLimitError(fn.cpuMs ?? 0) : timeoutError(budgetMs, fn.timeoutMs),
      cpuMs,
    );
  }
  const cpuMs = cpuUsed();
  const done = (): void => {
    watchdog?.stop();
    run.release();
  };
  if (dispatched.result.ok && !dispatched.waitUntil) instance.richCache();
  if (dispatched.waitUntil) run.background(drain(run, generation, overrun, done));
  else done();
  return { result: dispatched.result, ...(cpuMs === undefined ? {} : { cpuMs }) };
}

/** Waits for the invocation's waitUntil work under the same limits, then releases the isolate. */
async function drain(
  run: LeasedRun,
  generation: number,
  overrun: Promise<Overrun>,
  done: () => void,
): Promise<void> {
  const { instance, fn, logger } = run;
  try {
    let ended = await Promise.race([instance.drain(generation).then(() => null), overrun]);
    // Work that ended only once the deadline had aborted its host calls (its timer and the
    // deadline's fire in either order) was still running at the deadline all the same.
    if (ended === null && Date.now() >= run.deadline.at) ended = 'deadline';
    if (ended !== null) {
      await instance.stop(ended === 'cpu' ? 'cpu-limit' : 'timeout');
      logger?.warn(
        { fn: fn.name, version: fn.version, limit: ended },
        'ctx.waitUntil work ran past its limit; the isolate was stopped',
      );
    }
  } catch (error) {
    instance.failure(error);
    await instance.stop('broken');
    logger?.warn(
      { fn: fn.name, version: fn.version, err: error },
      'the isolate failed while finishing ctx.waitUntil work',
    );
  } finally {
    done();
  }
}
