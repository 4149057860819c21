import { DatabaseSync } from 'node:sqlite';
import { migrate } from './schema.ts';

export interface DatabaseOptions {
  /** A file path, or `:memory:` (then nothing is shared with other instances). */
  path: string;
  synchronous: 'normal' | 'full';
  /** How long a write waits for another instance holding the file's write lock. */
  busyTimeoutMs: number;
}

/** Opens (creating when missing) and migrates the broker's SQLite file. */
export function openDatabase(options: DatabaseOptions): DatabaseSync {
  const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs });
  try {
    // WAL: readers (the poll of other instances) never block the writer, and a commit is an
    // append to the log rather than a rewrite of pages.
    db.exec('PRAGMA journal_mode = WAL');
    // NORMAL in WAL mode: a commit is in the OS before enqueue() resolves, so it survives a
    // crash or kill -9 of the process (the guarantee Fjord makes); only a power failure or
    // kernel crash can lose the last commits before a checkpoint. FULL would put an fsync on the
    // event loop in every commit (one per turn, see WriteBatch), and this one thread also serves
    // sync HTTP traffic; the
    // SQLite store that records the results runs NORMAL too, so FULL here alone would not make
    // an invocation survive a power loss end to end. Deployments that want it can opt in.
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // A burst can grow the WAL far; once checkpointed, it is truncated back to 64 MiB.
    db.exec('PRAGMA journal_size_limit = 67108864');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Whether the file is in WAL mode (not for `:memory:`, or a filesystem without shared memory). */
export function isWal(db: DatabaseSync): boolean {
  const row = db.prepare('PRAGMA journal_mode').get() as { journal_mode?: unknown } | undefined;
  return row?.journal_mode === 'wal';
}
