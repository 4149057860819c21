/**
 * Waits for the shim's socket to appear. The shim listens under a temporary name and renames the
 * socket once it accepts connections, so the final name showing up in the directory is the
 * readiness signal: watched with inotify (fs.watch), no polling.
 */
import { watch } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/** Resolves when `dir/name` exists; rejects when `signal` aborts first. */
export function socketReady(dir: string, name: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const watcher = watch(dir, (_event, file) => {
      if (file === name) finish();
    });
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      watcher.close();
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error('socket wait aborted'));
    };
    const onAbort = (): void => finish(signal.reason);
    watcher.on('error', (error) => finish(error));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    // It may have appeared before the watch began.
    access(join(dir, name)).then(
      () => finish(),
      () => undefined,
    );
  });
}
