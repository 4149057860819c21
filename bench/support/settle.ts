/**
 * Waits for the machine to settle before a measurement, so that no target starts while the
 * previous one's processes or the broker (RabbitMQ after the async row's tens of thousands of
 * quorum messages) are still at work. Sync c=1 through RabbitMQ, the first target after the async
 * row, read 3.27 ms p50 in one full run and 2.29 and 2.48 ms in others.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Busy and total jiffies of all CPUs so far (the first line of /proc/stat). */
async function cpuJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th values.
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

export interface Settled {
  /** How long it waited, ms. */
  waitedMs: number;
  /** Share of all CPUs busy over the last interval, 0 to 1. */
  busy: number;
}

/**
 * Resolves once the whole machine used less than `maxBusy` of its CPUs over one `intervalMs`,
 * or after `maxWaitMs` (a machine that never settles is reported, not waited on forever).
 */
export async function settle(
  options: { maxBusy?: number; intervalMs?: number; maxWaitMs?: number } = {},
): Promise<Settled> {
  const { maxBusy = 0.15, intervalMs = 1000, maxWaitMs = 30_000 } = options;
  const began = performance.now();
  let last = await cpuJiffies();
  for (;;) {
    await sleep(intervalMs);
    const now = await cpuJiffies();
    const total = now.total - last.total;
    const busy = total > 0 ? (now.busy - last.busy) / total : 0;
    last = now;
    const waitedMs = performance.now() - began;
    if (busy < maxBusy || waitedMs >= maxWaitMs) return { waitedMs, busy };
  }
}
