import { spawn } from 'node:child_process';

/**
 * Kills process `pid` (its whole process group with `group`), then removes directory `remove`,
 * once this test process is gone, however it went: a shell waits for EOF on a pipe only this
 * process holds, which the kernel closes even after a SIGKILL, where no `after` hook or exit
 * handler runs. Call the returned
 * function once the process is stopped (it then kills nothing that could have reused the pid).
 * The watchdog keeps no reference on this process's event loop.
 */
export function killWithThisProcess(
  pid: number,
  { group = false, remove }: { group?: boolean; remove?: string } = {},
): () => void {
  const target = group ? `-${pid}` : String(pid);
  const cleanup = remove === undefined ? '' : `; rm -rf '${remove.replaceAll("'", '')}'`;
  // No `--` before the pid: dash's kill takes it for a pid, fails, and kills nothing.
  const child = spawn('sh', ['-c', `cat >/dev/null; kill -9 ${target}${cleanup}`], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  child.unref();
  const stdin = child.stdin as unknown as { unref(): void; end(): void } | null;
  stdin?.unref();
  return () => {
    // A kill ends the shell before `cat` returns, so a stopped process's pid is never touched.
    child.kill('SIGKILL');
    stdin?.end();
  };
}
