/**
 * Memory and CPU time of a process and everything it started (a `fn node` or `fn up` may host
 * its isolates in child processes), read from /proc. RSS counts pages shared between processes
 * (the Node binary, libraries) once per process; PSS splits each shared page among its sharers,
 * so the PSS of a tree is what the tree costs the machine.
 */
import { readdir, readFile } from 'node:fs/promises';

export interface TreeMemory {
  /** The process and its descendants. */
  processes: number;
  /** RSS of the process alone, MB. */
  rssMb: number;
  /** Sum of the PSS of the whole tree, MB. */
  treePssMb: number;
}

async function children(): Promise<Map<number, number[]>> {
  const byParent = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name (in parentheses) may hold spaces: the fields after it are fixed.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isFinite(ppid)) continue;
    const siblings = byParent.get(ppid) ?? [];
    siblings.push(Number(entry));
    byParent.set(ppid, siblings);
  }
  return byParent;
}

async function field(pid: number, file: string, name: string): Promise<number> {
  const text = await readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');
  const kb = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1];
  return kb === undefined ? 0 : Number(kb) / 1024;
}

/** `pid` and every process below it. */
export async function processTree(pid: number): Promise<number[]> {
  const byParent = await children();
  const tree: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop() as number;
    tree.push(next);
    pending.push(...(byParent.get(next) ?? []));
  }
  return tree;
}

/**
 * CPU time (user + system, every thread) used so far by `pids` and the processes below them, in
 * ms. A child that already exited counts only once its parent reaped it (cutime/cstime).
 */
export async function treeCpuMs(pids: number[]): Promise<number> {
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const root of pids) {
    for (const pid of await processTree(root)) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime: fields 14-17 of proc_pid_stat(5), from 3 (state) on here.
      for (const i of [11, 12, 13, 14]) ticks += Number(fields[i] ?? 0);
    }
  }
  return (ticks * 1000) / ticksPerSecond;
}

/** Memory of `pid` and its descendants now. */
export async function treeMemory(pid: number): Promise<TreeMemory> {
  const tree = await processTree(pid);
  const pss = await Promise.all(tree.map((p) => field(p, 'smaps_rollup', 'Pss')));
  const rssMb = await field(pid, 'status', 'VmRSS');
  if (rssMb === 0) throw new Error(`no process ${pid}`);
  return { processes: tree.length, rssMb, treePssMb: pss.reduce((a, b) => a + b, 0) };
}
