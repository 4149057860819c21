/**
 * The create options of a function's container: hardened by default. Non-root user, read-only
 * root filesystem with a small noexec tmpfs on /tmp, every capability dropped, no-new-privileges,
 * memory (without swap), CPU and pids limits from the manifest, no network unless the manifest
 * asks, bounded container logs. The only writable host path is the container's own socket
 * directory.
 */
import type { FunctionSpec } from '../../core/messages.ts';
import type { CreateOptions } from './docker-engine.ts';
import type { ResolvedOptions } from './executor-options.ts';

/** Where the socket directory appears inside the container. */
export const SOCKET_DIR_IN_CONTAINER = '/run/fjord';
export const SOCKET_NAME = 'shim.sock';

/** Labels on every container, so that strays can be found and removed. */
export const LABELS = {
  managed: 'fjord.managed',
  node: 'fjord.node',
  owner: 'fjord.owner',
  fn: 'fjord.fn',
  version: 'fjord.version',
  instance: 'fjord.instance',
} as const;

const MIB = 1024 * 1024;

export interface ContainerIdentity {
  /** Unique per container: names its socket directory and the container. */
  instanceId: string;
  /** Identifies the live process that owns the container (see stray-containers.ts). */
  owner: string;
  image: string;
  socketDir: string;
}

export function containerConfig(
  fn: FunctionSpec,
  identity: ContainerIdentity,
  options: ResolvedOptions,
): CreateOptions {
  const memory = fn.memoryMb * MIB;
  const cpus = fn.cpus ?? options.defaultCpus;
  return {
    name: `fjord-${fn.name}-v${fn.version}-${identity.instanceId}`,
    Image: identity.image,
    User: options.user,
    Env: [`FJORD_SOCKET=${SOCKET_DIR_IN_CONTAINER}/${SOCKET_NAME}`],
    Labels: {
      [LABELS.managed]: 'true',
      [LABELS.node]: options.nodeId,
      [LABELS.owner]: identity.owner,
      [LABELS.fn]: fn.name,
      [LABELS.version]: String(fn.version),
      [LABELS.instance]: identity.instanceId,
    },
    HostConfig: {
      Binds: [`${identity.socketDir}:${SOCKET_DIR_IN_CONTAINER}:rw`],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${options.tmpfsMb}m` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: memory,
      // Equal to Memory: no swap, so a function over its limit is stopped, not slowed down.
      MemorySwap: memory,
      NanoCpus: Math.round(cpus * 1e9),
      PidsLimit: fn.pidsLimit ?? options.defaultPidsLimit,
      NetworkMode: fn.network === true ? 'bridge' : 'none',
      // Docker's tiny init as pid 1 reaps the zombies of processes a function started; Node as
      // pid 1 would not, and they would hold on to the pids limit.
      Init: true,
      IpcMode: 'private',
      // A chatty function must not fill the host's disk through docker's own log files.
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      RestartPolicy: { Name: 'no' },
    },
  };
}
