import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { displayPath } from './bundle/paths.ts';
import { CliError } from './errors.ts';

/** The file in a data dir that says which process serves from it. */
export const LOCK_FILE = 'instance.lock';

/** What the lock file holds: enough for a second instance to say who is running. */
export interface LockHolder {
  pid: number;
  command: string;
  /** The URL it serves, once it listens. */
  url?: string;
  /** Tells this process's lock from a later one's with a reused pid. */
  id: string;
  /** When the process started (Linux), so a live process that reuses a dead one's pid is told apart. */
  started?: string;
}

/** A data dir held by this process until {@link InstanceLock.release}. */
export interface InstanceLock {
  readonly path: string;
  /** Records the URL this instance serves, for the message a second one prints. */
  serving(url: string): void;
  /** Removes the lock file while it is still this process's. Synchronous, for an exit hook. */
  release(): void;
}

/**
 * Takes `dataDir` for `fn COMMAND` before anything in it is opened or written: two instances on
 * one data dir would share the SQLite store and the embedded broker's files, and each would
 * rewrite credentials.json to point the CLI at itself. A lock whose process is gone (kill -9, a
 * crash) is taken over. Throws DATA_DIR_IN_USE naming the running instance otherwise.
 */
export function lockDataDir(dataDir: string, command: string, cwd: string): InstanceLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const started = startOf(process.pid);
  const mine: LockHolder = {
    pid: process.pid,
    command,
    id: randomUUID(),
    ...(started === undefined ? {} : { started }),
  };
  // Two tries: the second after removing a stale lock. A third contender that wins the race
  // in between is a live holder, reported like any other.
  for (let attempt = 0; ; attempt++) {
    if (create(path, mine)) break;
    const holder = readHolder(path);
    if (holder !== undefined && isHeld(holder)) throw inUse(holder, dataDir, command, cwd);
    if (attempt > 0) throw inUse(holder, dataDir, command, cwd);
    removeIfSame(path, holder);
  }
  return {
    path,
    serving(url) {
      if (readHolder(path)?.id !== mine.id) return;
      const temporary = `${path}.${mine.id}`;
      writeFileSync(temporary, JSON.stringify({ ...mine, url }), { mode: 0o600 });
      renameSync(temporary, path);
    },
    release() {
      if (readHolder(path)?.id === mine.id) unlinkQuietly(path);
    },
  };
}

/** Writes the whole record first, then links it into place: a reader never sees half a lock. */
function create(path: string, holder: LockHolder): boolean {
  const temporary = `${path}.${holder.id}`;
  writeFileSync(temporary, JSON.stringify(holder), { mode: 0o600 });
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkQuietly(temporary);
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.id !== 'string') return undefined;
    return parsed as LockHolder;
  } catch {
    return undefined;
  }
}

/** Removes a stale lock unless another process replaced it since it was read. */
function removeIfSame(path: string, stale: LockHolder | undefined): void {
  if (readHolder(path)?.id === stale?.id) unlinkQuietly(path);
}

/**
 * Whether the process that wrote the lock still runs. Not when the pid is this process's own:
 * it took no lock yet, so that was an earlier process (PID 1 of a restarted container, whose
 * data dir is a volume), nor when the pid now names a process that started at another time.
 */
function isHeld(holder: LockHolder): boolean {
  if (holder.pid === process.pid || !isAlive(holder.pid)) return false;
  const started = startOf(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

/** Field 22 of /proc/PID/stat, the start time in clock ticks since boot; absent off Linux. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function inUse(
  holder: LockHolder | undefined,
  dataDir: string,
  command: string,
  cwd: string,
): CliError {
  const shown = displayPath(dataDir, cwd);
  const who =
    holder === undefined ? 'another instance' : `fn ${holder.command} (pid ${holder.pid})`;
  const where = holder?.url === undefined ? 'is starting' : `serves at ${holder.url}`;
  return new CliError(`data dir ${shown} is in use: ${who} ${where} from it`, {
    code: 'DATA_DIR_IN_USE',
    hint: `stop it first${holder === undefined ? '' : ` (Ctrl-C in its terminal, or kill ${holder.pid})`}, or give this fn ${command} its own --data-dir (or FN_HOME); the other fn commands already talk to the running one`,
  });
}
