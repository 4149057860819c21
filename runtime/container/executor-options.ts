/** Options of the {@link ContainerExecutor} and their defaults. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleSource } from '../../core/executor.ts';
import type { Logger } from '../../core/logger.ts';
import type { QueuePublisher } from '../isolate/host-queue.ts';
import type { ImageSource } from './image-fetch.ts';

export interface ContainerExecutorOptions {
  /** Fetches bundle code by sha256; each bundle is fetched once and cached. */
  loadCode: BundleSource;
  /**
   * The base image tag, or a function that returns it (building it when missing); called once,
   * on first use. Functions that name their own `image` use that instead.
   */
  image: string | (() => Promise<string>);
  /**
   * Where a function's own image comes from when it is not on this node and the version has an
   * `imageSha` (runtime/container/image-fetch.ts: the gateway). Absent: such images must be here.
   */
  fetchImage?: ImageSource;
  /** Names this node in container labels and the executor's own log lines. */
  nodeId: string;
  /** The Docker engine's unix socket. Default: DOCKER_HOST (unix://...) or /var/run/docker.sock. */
  dockerSocket?: string;
  /**
   * Where each container's socket directory is created (bind-mounted into the container). Keep
   * it short: unix socket paths are limited to 107 bytes. Default `<tmpdir>/fjord-containers`.
   */
  workDir?: string;
  /** Invocations one container runs at once. Default 1, as isolates do. */
  invocationsPerContainer?: number;
  /** Idle containers are removed after this long. Default 5 minutes. */
  idleTimeoutMs?: number;
  /**
   * How far back the peak of concurrent invocations per function is remembered: that many
   * containers stay warm (and a new version is prewarmed to it). Default `idleTimeoutMs`.
   */
  loadWindowMs?: number;
  /** How long a container may take to start and load its function. Default 30 s. */
  startTimeoutMs?: number;
  /** Size of the writable /tmp of each container (tmpfs; counts against its memory). Default 32. */
  tmpfsMb?: number;
  /** Defaults for functions that do not set them. */
  defaultCpus?: number;
  defaultPidsLimit?: number;
  /** uid:gid the shim runs as; uid 1000 is `node` in both base images. */
  user?: string;
  /** Console output kept per invocation; the rest is dropped with a marker. Default 256 KiB. */
  logLimitBytes?: number;
  /** Largest response body (or JSON event result) a function may return. Default 10 MiB. */
  maxResponseBytes?: number;
  /** Bundles kept in memory for the next cold start. Default 64. */
  maxCachedBundles?: number;
  logger?: Logger;
  /**
   * Publishes what fetch and event handlers send with ctx.queues (the node's broker). Absent:
   * every send fails with QUEUE_NOT_FOUND.
   */
  publishQueue?: QueuePublisher;
}

export type ResolvedOptions = Required<
  Omit<ContainerExecutorOptions, 'logger' | 'fetchImage' | 'publishQueue'>
> &
  Pick<ContainerExecutorOptions, 'logger' | 'fetchImage' | 'publishQueue'>;

export function defaultDockerSocket(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

export function resolveOptions(options: ContainerExecutorOptions): ResolvedOptions {
  return {
    ...options,
    dockerSocket: options.dockerSocket ?? defaultDockerSocket(),
    workDir: options.workDir ?? join(tmpdir(), 'fjord-containers'),
    invocationsPerContainer: Math.max(1, options.invocationsPerContainer ?? 1),
    idleTimeoutMs: options.idleTimeoutMs ?? 5 * 60_000,
    loadWindowMs: options.loadWindowMs ?? options.idleTimeoutMs ?? 5 * 60_000,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    tmpfsMb: options.tmpfsMb ?? 32,
    defaultCpus: options.defaultCpus ?? 1,
    defaultPidsLimit: options.defaultPidsLimit ?? 128,
    user: options.user ?? '1000:1000',
    logLimitBytes: options.logLimitBytes ?? 256 * 1024,
    maxResponseBytes: options.maxResponseBytes ?? 10 * 1024 * 1024,
    maxCachedBundles: options.maxCachedBundles ?? 64,
  };
}
