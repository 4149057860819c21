/**
 * The few Docker engine calls the container executor makes, through dockerode. No dockerode type
 * leaves this file except the create options built by container-config.ts; engine failures come
 * out as FjordErrors: CONTAINER_RUNTIME_UNAVAILABLE when the engine cannot be reached,
 * CONTAINER_IMAGE_UNAVAILABLE when an image is missing.
 */
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { FjordError } from '../../core/errors.ts';
import { oomKillCount } from './cgroup-oom.ts';

export type CreateOptions = Docker.ContainerCreateOptions;

/** How a container ended, from `docker inspect`. */
export interface ContainerExit {
  exitCode: number;
  /** The kernel's OOM killer ended it: the memory limit was reached. */
  oomKilled: boolean;
}

/** A container of ours, as listed by its labels. */
export interface ManagedContainer {
  id: string;
  labels: Record<string, string>;
}

/** Errors of the socket itself: the engine is not running or not ours to talk to. */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE']);

export class DockerEngine {
  readonly socketPath: string;
  readonly #docker: Docker;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.#docker = new Docker({ socketPath });
  }

  /** Resolves when the engine answers within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    const ping = this.#docker.ping.bind(this.#docker) as unknown as (options: {
      abortSignal: AbortSignal;
    }) => Promise<unknown>;
    await ping({ abortSignal: AbortSignal.timeout(timeoutMs) }).catch((error: unknown) => {
      throw this.#error(error, 'ping');
    });
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.#docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw this.#error(error, `inspect image ${image}`);
    }
  }

  /**
   * `docker load` of a `docker save` tarball, streamed from `tarball`. Resolves once the engine
   * has loaded every image in it; rejects with the engine's own message, or with the tarball
   * stream's error (the request is aborted then, so the engine does not wait for the rest).
   */
  async loadImage(tarball: Readable): Promise<void> {
    const abort = new AbortController();
    const onError = (error: Error): void => abort.abort(error);
    tarball.once('error', onError);
    try {
      const progress = await this.#docker.loadImage(tarball, {
        quiet: true,
        abortSignal: abort.signal,
      });
      await this.#follow(progress, 'load image');
    } catch (error) {
      if (abort.signal.aborted) throw abort.signal.reason;
      throw error instanceof FjordError ? error : this.#error(error, 'load image');
    } finally {
      tarball.off('error', onError);
    }
  }

  /** `docker pull` of a registry reference; resolves once the image is present. */
  async pullImage(reference: string): Promise<void> {
    let progress: NodeJS.ReadableStream;
    try {
      progress = await this.#docker.pull(reference);
    } catch (error) {
      throw this.#error(error, `pull ${reference}`);
    }
    await this.#follow(progress, `pull ${reference}`);
  }

  /** Creates a container and returns its id. */
  async create(options: CreateOptions): Promise<string> {
    try {
      const container = await this.#docker.createContainer(options);
      return container.id;
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new FjordError(
          'CONTAINER_IMAGE_UNAVAILABLE',
          `image ${options.Image ?? '(none)'} is not on this node: build it FROM the Fjord base image or docker load it`,
        );
      }
      throw this.#error(error, 'create container');
    }
  }

  async start(id: string): Promise<void> {
    await this.#docker
      .getContainer(id)
      .start()
      .catch((error: unknown) => {
        throw this.#error(error, 'start container');
      });
  }

  /**
   * Resolves once the container is no longer running, or when the engine connection that
   * watches it is lost (the container is then treated as gone too).
   */
  async waitExit(id: string): Promise<void> {
    await this.#docker
      .getContainer(id)
      .wait()
      .catch(() => undefined);
  }

  /** How the container ended, or undefined while it runs or when it is unknown. */
  async inspectExit(id: string): Promise<ContainerExit | undefined> {
    try {
      const info = await this.#docker.getContainer(id).inspect();
      if (info.State.Running) return undefined;
      return { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled };
    } catch {
      return undefined;
    }
  }

  /**
   * The kernel's count of OOM kills in the container's memory cgroup while the container still
   * has one (see cgroup-oom.ts); undefined once it is removed or when it cannot be read here.
   */
  oomKills(id: string): number | undefined {
    return oomKillCount(id);
  }

  /**
   * Whether the engine logged an `oom` event for the container since `sinceMs` (epoch ms). The
   * event is logged even when containerd's OOM notice came after the exit, too late for
   * `State.OOMKilled`. False when the events cannot be read.
   */
  async oomEventSince(id: string, sinceMs: number): Promise<boolean> {
    try {
      // With `until` not in the future the engine sends the events it kept, then ends the stream.
      const stream = await this.#docker.getEvents({
        since: Math.floor(sinceMs / 1000) - 1,
        until: Date.now() / 1000,
        filters: { container: [id], event: ['oom'] },
      });
      let text = '';
      for await (const chunk of stream) text += String(chunk);
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .some((line) => {
          const event = JSON.parse(line) as { Action?: unknown; id?: unknown };
          return event.Action === 'oom' && event.id === id;
        });
    } catch {
      return false;
    }
  }

  /** The last lines the container wrote to stdout and stderr. */
  async logsTail(id: string, lines: number): Promise<string> {
    try {
      const raw = await this.#docker
        .getContainer(id)
        .logs({ stdout: true, stderr: true, tail: lines, follow: false });
      return demultiplex(raw);
    } catch {
      return '';
    }
  }

  async kill(id: string): Promise<void> {
    await this.#docker
      .getContainer(id)
      .kill()
      .catch(() => undefined);
  }

  /** Kills and removes the container; a container already gone is fine. */
  async remove(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (statusOf(error) === 404) return;
      // 409: removal already in progress, started by someone else.
      if (statusOf(error) === 409) return;
      throw this.#error(error, 'remove container');
    }
  }

  /** Containers (running or not) carrying label `key` (with `value` when given). */
  async listByLabel(key: string, value?: string): Promise<ManagedContainer[]> {
    const label = value === undefined ? key : `${key}=${value}`;
    try {
      const list = await this.#docker.listContainers({ all: true, filters: { label: [label] } });
      return list.map((c) => ({ id: c.Id, labels: c.Labels }));
    } catch (error) {
      throw this.#error(error, 'list containers');
    }
  }

  /** Reads an engine progress stream (JSON lines) to its end; an `error` line rejects. */
  #follow(progress: NodeJS.ReadableStream, action: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#docker.modem.followProgress(progress, (error: Error | null, output: unknown[]) => {
        const failed = output.find(
          (line): line is { error: string } =>
            typeof (line as { error?: unknown } | null)?.error === 'string',
        );
        if (error !== null) reject(this.#error(error, action));
        else if (failed !== undefined) reject(new Error(failed.error));
        else resolve();
      });
    });
  }

  #error(error: unknown, action: string): FjordError {
    const code = (error as { code?: unknown }).code;
    if (
      (typeof code === 'string' && UNREACHABLE.has(code)) ||
      (error instanceof Error && error.name === 'TimeoutError')
    ) {
      return new FjordError(
        'CONTAINER_RUNTIME_UNAVAILABLE',
        `the Docker engine at ${this.socketPath} is unreachable (${typeof code === 'string' ? code : 'no answer'}): container functions cannot run on this node until dockerd runs (bash scripts/ensure-docker.sh)`,
        { cause: error },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new FjordError('INTERNAL', `docker ${action} failed: ${message}`, { cause: error });
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Docker's log stream without a TTY: frames of [stream, 0, 0, 0, size (u32 BE)] + payload. */
function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
