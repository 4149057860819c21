/**
 * How a run gets an isolate: a slot of its function's `concurrency` across versions first
 * (function-slots.ts), then an isolate of its version's pool; and how it gives both back, once,
 * whichever way the run ends (the slot even when giving the isolate back throws: a slot lost
 * would hold the function's runs for good).
 */
import type { FunctionSpec } from '../../core/messages.ts';
import type { Lease } from '../warm-pool.ts';
import type { FunctionSlots } from './function-slots.ts';
import type { IsolateInstance } from './isolate-instance.ts';
import type { Prelude } from './prelude.ts';
import type { VersionPool } from './version-pool.ts';
import type { VersionPools } from './version-pools.ts';

export interface IsolateLease {
  pool: VersionPool;
  instance: IsolateInstance;
  cold: boolean;
  /** Gives the isolate and the slot back; later calls do nothing. */
  release(): void;
}

export interface LeaseDeps {
  slots: FunctionSlots;
  pools: VersionPools;
  prelude: () => Promise<Prelude>;
}

/** Leases an isolate of `fn`, waiting at most until `signal` aborts (its latest end). */
export async function leaseIsolate(
  deps: LeaseDeps,
  fn: FunctionSpec,
  signal: AbortSignal,
): Promise<IsolateLease> {
  const { slots, pools } = deps;
  const waitForSlot = slots.acquire(fn.name, fn.concurrency, signal);
  if (waitForSlot !== undefined) await waitForSlot;
  let pool: VersionPool;
  let lease: Lease<IsolateInstance>;
  try {
    pool = pools.for(fn, await deps.prelude());
    lease = await pool.acquire(signal);
  } catch (error) {
    slots.release(fn.name);
    throw error;
  }
  const { instance, cold } = lease;
  let released = false;
  return {
    pool,
    instance,
    cold,
    release: () => {
      if (released) return;
      released = true;
      try {
        instance.end();
        pool.release(instance);
        pools.released(pool);
      } finally {
        slots.release(fn.name);
      }
    },
  };
}
