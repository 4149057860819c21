/**
 * Celery from Debian (`python3-celery`, run with /usr/bin/python3), prefork with concurrency 2 and
 * acks_late, on the same RabbitMQ: the worker runs bench/anchors/celery/tasks.py, a closed-loop
 * producer (produce.py) keeps a window of tasks outstanding and waits on their results.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Measured, ThroughputResult } from '../model.ts';
import { launch, runJson, tail, type Children } from '../support/child.ts';

const CELERY_DIR = fileURLToPath(new URL('./celery/', import.meta.url));
/** Debian's interpreter: the one python3-celery is installed for. */
const PYTHON = '/usr/bin/python3';

export interface CeleryOptions {
  url: string;
  durationS: number;
  /** Seconds of the same load first, not counted (as for Fjord). */
  warmupS: number;
  /** Tasks outstanding at once. */
  window: number;
  logFile: string;
  children: Children;
}

interface ProducerOutput {
  sent: number;
  completed: number;
  loadS: number;
  totalS: number;
}

export async function celeryThroughput(
  options: CeleryOptions,
): Promise<Measured<ThroughputResult>> {
  const env = {
    ...process.env,
    BENCH_AMQP_URL: options.url,
    BENCH_CELERY_QUEUE: `bench.celery.${randomBytes(4).toString('hex')}`,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONPATH: CELERY_DIR,
  };
  const { logFile, children } = options;
  const worker = launch(
    PYTHON,
    ['-m', 'celery', '-A', 'tasks', 'worker', '-P', 'prefork', '-c', '2', '-l', 'WARNING'],
    { cwd: CELERY_DIR, env, logFile, children },
    false,
  );
  const exited = once(worker, 'exit');
  try {
    const produce = (seconds: number) =>
      runJson<ProducerOutput>(PYTHON, ['produce.py', String(seconds), String(options.window)], {
        cwd: CELERY_DIR,
        env,
        logFile,
        children,
        timeoutMs: 300_000,
      });
    await produce(options.warmupS);
    // The load average of the measured phase, read as it starts (as for Fjord).
    const load1 = loadavg()[0] ?? 0;
    const out = await produce(options.durationS);
    return {
      completed: out.completed,
      failed: 0,
      perSecond: out.completed / out.totalS,
      acceptedPerSecond: out.sent / out.loadS,
      loadS: out.loadS,
      totalS: out.totalS,
      load1,
    };
  } catch (error) {
    throw new Error(`celery anchor failed: ${String(error)}\n${tail(options.logFile)}`, {
      cause: error,
    });
  } finally {
    // Warm shutdown first (finishes the tasks it holds); the pool children follow the parent.
    worker.kill('SIGTERM');
    const timer = setTimeout(() => worker.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
