/**
 * The kernel's own count of OOM kills in a container's memory cgroup: the fact that tells a
 * container stopped by its memory limit from one killed by anything else. Docker's
 * `State.OOMKilled` is not enough: Docker 20.10 sets it only when containerd's OOM event reaches
 * it before the exit event, and containerd's cgroup v1 watcher drops the event when it gets to it
 * after the cgroup was removed, which a loaded machine makes possible. The counter is gone with
 * the cgroup too (docker removes it as it records the exit), so it is read as soon as the
 * container stops answering.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a container's memory cgroup is, by cgroup version and docker's cgroup driver. */
function candidates(containerId: string, root: string): string[] {
  const systemd = `system.slice/docker-${containerId}.scope`;
  return [
    // cgroup v1: the OOM kills are the oom_kill line of memory.oom_control.
    join(root, 'memory', 'docker', containerId, 'memory.oom_control'),
    join(root, 'memory', systemd, 'memory.oom_control'),
    // cgroup v2: the oom_kill line of memory.events.
    join(root, 'docker', containerId, 'memory.events'),
    join(root, systemd, 'memory.events'),
  ];
}

/**
 * How many processes the kernel's OOM killer ended in the container's memory cgroup, or undefined
 * when the cgroup cannot be read here (already removed, another cgroup layout, or an engine whose
 * cgroups this host does not see). Read synchronously: these are kernel files answered from
 * memory in microseconds, and a turn through the thread pool, busy on a loaded node, can let
 * docker remove the cgroup first.
 */
export function oomKillCount(containerId: string, root = '/sys/fs/cgroup'): number | undefined {
  for (const path of candidates(containerId, root)) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const match = /^oom_kill (\d+)$/m.exec(text);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}
