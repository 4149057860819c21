import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
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
  /** The machine (or container) it runs on: pids and /proc only tell about processes there. */
  host?: string;
}

/** How {@link lockDataDir} is run; the defaults are for production. */
export interface LockOptions {
  /** This machine's name, recorded in the lock. Defaults to `os.hostname()`. */
  hostname?: string;
  /** Runs while a stale lock is being taken over, just before it is removed (for tests of races). */
  beforeTakeover?: () => void;
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
 * crash) is taken over; one written on another host is not, as its process cannot be seen from
 * here. Throws DATA_DIR_IN_USE naming the running instance otherwise.
 */
export function lockDataDir(
  dataDir: string,
  command: string,
  cwd: string,
  options: LockOptions = {},
): InstanceLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const host = options.hostname ?? hostname();
  const started = startOf(process.pid);
  const mine: LockHolder = {
    pid: process.pid,
    command,
    id: randomUUID(),
    host,
    ...(started === undefined ? {} : { started }),
  };
  const refuse = (holder: LockHolder | undefined, file: string): CliError =>
    inUse({ holder, file, host, dataDir, command, cwd });
  // Two tries: the second after removing a stale lock. A third contender that wins the race
  // in between is a live holder, reported like any other.
  for (let attempt = 0; ; attempt++) {
    if (create(path, mine)) break;
    const holder = readHolder(path);
    if (holder !== undefined && isHeld(holder, host)) throw refuse(holder, path);
    if (attempt > 0) throw refuse(holder, path);
    const guard = takeOver(path, holder, mine, options.beforeTakeover);
    if (guard !== undefined) throw refuse(guard, `${path}${GUARD_SUFFIX}`);
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

/** Beside the lock while one process takes a stale lock over. */
const GUARD_SUFFIX = '.takeover';

/**
 * Removes the stale lock unless another process replaced it since it was read. Reading and
 * removing are two steps, so two processes doing both at once could each remove the other's
 * fresh lock: an exclusive guard file makes one takeover at a time. Returns the guard's holder
 * when another takeover is under way (the caller reports the data dir as in use).
 */
function takeOver(
  path: string,
  stale: LockHolder | undefined,
  mine: LockHolder,
  beforeTakeover: (() => void) | undefined,
): LockHolder | undefined {
  const guard = `${path}${GUARD_SUFFIX}`;
  for (let attempt = 0; !create(guard, mine); attempt++) {
    const other = readHolder(guard);
    if (attempt > 0 || (other !== undefined && isRunning(other, mine.host))) {
      return other ?? { pid: 0, command: mine.command, id: '' };
    }
    removeStaleGuard(guard, other);
  }
  try {
    if (readHolder(path)?.id === stale?.id) {
      beforeTakeover?.();
      unlinkQuietly(path);
    }
  } finally {
    unlinkQuietly(guard);
  }
  return undefined;
}

/**
 * Removes a guard left by a process that died mid-takeover. Moved aside first (rename is atomic)
 * and removed only when what moved is the guard judged stale; a live one is linked back.
 */
function removeStaleGuard(guard: string, stale: LockHolder | undefined): void {
  const aside = `${guard}.${randomUUID()}`;
  try {
    renameSync(guard, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if (readHolder(aside)?.id !== stale?.id) linkSync(aside, guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkQuietly(aside);
  }
}

/**
 * Whether the process that wrote the lock still runs. Always, when it was written on another
 * host: its pid says nothing here. Not when the pid is this process's own: it took no lock yet,
 * so that was an earlier process (PID 1 of a restarted container, whose data dir is a volume).
 */
function isHeld(holder: LockHolder, host: string | undefined): boolean {
  if (isForeign(holder, host)) return true;
  return holder.pid !== process.pid && isRunning(holder, host);
}

/** Whether the writer runs: on another host, assumed; here, its pid lives and started as recorded. */
function isRunning(holder: LockHolder, host: string | undefined): boolean {
  if (isForeign(holder, host)) return true;
  if (!isAlive(holder.pid)) return false;
  const started = startOf(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

/** Written on another host (locks from before hosts were recorded count as this one's). */
function isForeign(holder: LockHolder, host: string | undefined): boolean {
  return holder.host !== undefined && holder.host !== host;
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

interface Refusal {
  holder: LockHolder | undefined;
  /** The file that holds the data dir: the lock, or the guard of a takeover under way. */
  file: string;
  host: string | undefined;
  dataDir: string;
  command: string;
  cwd: string;
}

function inUse({ holder, file, host, dataDir, command, cwd }: Refusal): CliError {
  const shown = displayPath(dataDir, cwd);
  const known = holder !== undefined && holder.pid > 0;
  const who = known ? `fn ${holder.command} (pid ${holder.pid})` : 'another instance';
  const where = holder?.url === undefined ? 'is starting' : `serves at ${holder.url}`;
  const foreign = holder !== undefined && isForeign(holder, host);
  const on = foreign ? ` on host ${holder.host}` : '';
  const stop = foreign
    ? `stop it first (a lock written on another host or container is never taken over: once that instance is gone, delete ${displayPath(file, cwd)} by hand)`
    : `stop it first${known ? ` (Ctrl-C in its terminal, or kill ${holder.pid})` : ''}`;
  return new CliError(`data dir ${shown} is in use: ${who}${on} ${where} from it`, {
    code: 'DATA_DIR_IN_USE',
    hint: `${stop}, or give this fn ${command} its own --data-dir (or FN_HOME); the other fn commands already talk to the running one`,
  });
}
