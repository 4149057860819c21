import { Cron } from 'croner';
import type { Manifest, ScheduleTrigger } from '../core/manifest.ts';

/**
 * A function's schedule, read in its time zone (UTC when none is given). Croner is built
 * paused: it only computes ticks here, the scheduler decides when to look.
 */
export class CronSchedule {
  readonly trigger: ScheduleTrigger;
  readonly #cron: Cron;

  constructor(trigger: ScheduleTrigger) {
    this.trigger = trigger;
    this.#cron = new Cron(trigger.cron, {
      paused: true,
      ...(trigger.timezone === undefined ? {} : { timezone: trigger.timezone }),
    });
  }

  /** The first tick strictly after `at` (epoch ms); undefined when none is left. */
  nextAfter(at: number): number | undefined {
    return this.#cron.nextRun(new Date(at))?.getTime();
  }

  /** The latest tick at or before `at` (epoch ms); undefined when there was none. */
  latestAtOrBefore(at: number): number | undefined {
    // previousRuns excludes its reference instant, and a tick due exactly now counts.
    return this.#cron.previousRuns(1, new Date(at + 1))[0]?.getTime();
  }
}

/** When the function's schedule fires next after `now`, or undefined without a schedule. */
export function nextRunOf(manifest: Manifest, now: number): number | undefined {
  const trigger = manifest.triggers.schedule;
  if (trigger === undefined) return undefined;
  try {
    return new CronSchedule(trigger).nextAfter(now);
  } catch {
    // A manifest stored before validation tightened: no next run rather than a failed listing.
    return undefined;
  }
}
