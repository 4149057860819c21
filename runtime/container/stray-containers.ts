/**
 * Containers left behind by an agent that crashed (kill -9, power loss) are found by their labels
 * and removed when the next executor starts on the same host. Every container names its owner:
 * host, pid and start time of the process that created it. A container is a stray when its owner
 * ran on this host and that process is gone; containers of live processes (other nodes on the same
 * host, other executors in this process) are left alone.
 */
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.ts';
import { LABELS } from './container-config.ts';
import type { DockerEngine } from './docker-engine.ts';

/** This process, as an owner label: `host/pid/start-epoch-ms`. */
export function processOwner(): string {
  return `${hostname()}/${process.pid}/${Math.round(performance.timeOrigin)}`;
}

/** Whether the process named by `owner` may still be running. */
export function ownerAlive(owner: string, self: string): boolean {
  if (owner === self) return true;
  const [host, pidText, started] = owner.split('/');
  const [selfHost, selfPid] = self.split('/');
  // Another host's processes cannot be checked from here: not ours to judge.
  if (host !== selfHost || started === undefined) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // Same pid, other start time: an earlier process that had this pid (a restarted container).
  if (String(pid) === selfPid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the strays of dead owners on this host with their socket directories; returns them. */
export async function removeStrays(
  engine: DockerEngine,
  options: { self: string; workDir: string; logger?: Logger },
): Promise<string[]> {
  const containers = await engine.listByLabel(LABELS.managed, 'true');
  const strays = containers.filter((c) => !ownerAlive(c.labels[LABELS.owner] ?? '', options.self));
  await Promise.all(
    strays.map(async (container) => {
      await engine.remove(container.id);
      const instance = container.labels[LABELS.instance];
      if (instance !== undefined && /^[0-9a-f]+$/.test(instance)) {
        await rm(join(options.workDir, instance), { recursive: true, force: true });
      }
    }),
  );
  if (strays.length > 0) {
    options.logger?.info(
      { containers: strays.map((c) => c.id.slice(0, 12)) },
      'removed containers left behind by a stopped node',
    );
  }
  return strays.map((c) => c.id);
}
