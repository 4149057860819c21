/**
 * Boots an isolate before any invocation needs it (a prewarm), so the invocation that takes it
 * finds it warm. The boot runs under the function's own timeout: a module that never finishes
 * initialising costs one isolate, not a stuck pool.
 */
import type { Logger } from '../../core/logger.ts';
import { Deadline } from './deadline.ts';
import type { IsolateInstance } from './isolate-instance.ts';
import { LogCollector } from './log-collector.ts';

export interface BootAheadOptions {
  logLimitBytes: number;
  logger?: Logger;
}

/**
 * Boots `instance`; true when it is ready. A failed boot disposes the instance and is only
 * logged: the invocations that follow boot their own isolates and report the real error.
 */
export async function bootAhead(
  instance: IsolateInstance,
  options: BootAheadOptions,
): Promise<boolean> {
  const { fn } = instance;
  const deadline = new Deadline(Date.now() + fn.timeoutMs);
  // Console output of the module's top level has no invocation to belong to: it is dropped.
  const generation = instance.begin(new LogCollector(options.logLimitBytes), deadline.at);
  const warn = (reason: unknown): false => {
    options.logger?.warn(
      { fn: fn.name, version: fn.version, reason },
      'prewarming an isolate failed; invocations will boot their own',
    );
    return false;
  };
  const booting = instance.boot(generation);
  try {
    const fault = await Promise.race([booting, deadline.expired.then(() => 'timeout' as const)]);
    // Disposed by its pool meanwhile (evicted, out of the prewarm budget): nothing failed.
    if (instance.state === 'disposed' && fault !== 'timeout') return false;
    if (fault === 'timeout') {
      booting.catch(() => {});
      instance.dispose('timeout');
      return warn(`the module did not finish loading within ${fn.timeoutMs} ms`);
    }
    if (fault !== null) {
      instance.dispose('broken');
      return warn(fault);
    }
    return instance.state === 'ready';
  } catch (error) {
    if (instance.state === 'disposed') return false;
    return warn(instance.failure(error));
  } finally {
    deadline.cancel();
    instance.end();
  }
}
