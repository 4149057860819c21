import { extname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.ts';
import type { CheckpointWorkerData } from './checkpoint-worker.ts';

/** Commits after which the WAL is worth a checkpointer thread. */
const COMMITS_BEFORE_WORKER = 256;

/**
 * The instance's own connection checkpoints only past this many WAL frames (32 MiB of 4 KiB
 * pages), where SQLite's default is 1000.
 */
const INLINE_CHECKPOINT_FRAMES = 8192;

/**
 * Keeps the WAL short without stalling the event loop. SQLite's automatic checkpoint runs inside
 * a commit, on the committing thread, and fsyncs there: measured here, it turned a p99 of
 * 0.5-0.7 ms into 4-8 ms and halved throughput. So a worker thread checkpoints instead, every
 * `intervalMs`, and the instance's connection keeps only a far-off automatic checkpoint as a
 * safety net. The net matters under a steady stream of commits: the WAL restarts from its
 * beginning only when a transaction begins with every frame copied back, which a checkpoint
 * racing the writer never achieves; then the writer copies the few newest frames itself (the
 * bulk is done) and the log restarts.
 *
 * The worker starts only once this instance has committed enough to matter, so short-lived
 * instances (tests, CLI runs) never pay for a thread.
 */
export class Checkpointer {
  readonly #data: CheckpointWorkerData;
  readonly #logger: Logger;
  #commits = 0;
  #worker: Worker | undefined;
  #stopped = false;

  constructor(db: DatabaseSync, data: CheckpointWorkerData, logger: Logger) {
    this.#data = data;
    this.#logger = logger;
    db.exec(`PRAGMA wal_autocheckpoint = ${INLINE_CHECKPOINT_FRAMES}`);
  }

  /** Called after every commit of the instance. */
  noteCommit(): void {
    if (this.#worker !== undefined || this.#stopped) return;
    if (++this.#commits < COMMITS_BEFORE_WORKER) return;
    // Same extension as this module: `.ts` run directly, `.js` once compiled.
    const entry = new URL(`./checkpoint-worker${extname(import.meta.url)}`, import.meta.url);
    const worker = new Worker(entry, { workerData: this.#data });
    worker.unref();
    worker.on('message', (message: { error?: string }) => {
      this.#logger.warn({ error: message.error }, 'WAL checkpoint failed');
    });
    worker.on('error', (error: unknown) => {
      // The inline safety net still bounds the WAL; only the latency benefit is lost.
      this.#logger.error({ err: error }, 'WAL checkpointer thread failed');
      this.#worker = undefined;
      this.#stopped = true;
    });
    this.#worker = worker;
    this.#logger.debug({ commits: this.#commits }, 'WAL checkpointer thread started');
  }

  /** Stops the worker; the last connection to close checkpoints the rest itself. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker === undefined) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    // Referenced again, or a process with nothing else to do would exit before the thread did.
    worker.ref();
    worker.postMessage('stop');
    await exited;
  }
}
