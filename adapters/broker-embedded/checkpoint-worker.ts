/**
 * Worker-thread entry of {@link Checkpointer}: its own connection to the broker file, copying
 * the WAL back into the database on a timer. A PASSIVE checkpoint never blocks the instance's
 * writers or readers; its copying and fsyncs happen here, off the event loop that serves
 * invocations.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

export interface CheckpointWorkerData {
  path: string;
  synchronous: 'normal' | 'full';
  intervalMs: number;
  busyTimeoutMs: number;
}

const options = workerData as CheckpointWorkerData;
const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs });
db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const timer = setInterval(() => {
  try {
    checkpoint.get();
  } catch (error) {
    parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
}, options.intervalMs);

// Any message means stop. It runs between two ticks, so no checkpoint is cut short.
parentPort?.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
