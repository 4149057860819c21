/**
 * One warm container of one function version: a long-lived shim process that loaded the bundle
 * once and takes invocations over HTTP on a unix socket in its own host directory. Boots on
 * creation (the cold start), runs up to `capacity` invocations at once, and is removed together
 * with its directory when it timed out, crashed, was evicted, reaped or shut down.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { InvocationContext } from '../../core/executor.ts';
import type { Logger } from '../../core/logger.ts';
import type {
  FunctionSpec,
  HttpResponseData,
  InvocationPayload,
  LogEntry,
} from '../../core/messages.ts';
import { containerConfig, SOCKET_NAME } from './container-config.ts';
import { explainExit, fetchFailure, type RemoveReason } from './container-faults.ts';
import type { DockerEngine } from './docker-engine.ts';
import type { ResolvedOptions } from './executor-options.ts';
import { HOST_SOCKET_NAME, QueueHost } from './queue-host.ts';
import { ShimClient } from './shim-client.ts';
import {
  decodeInvokeReply,
  decodeLoadReply,
  type Decoded,
  type LoadRequest,
} from './shim-protocol.ts';
import { socketReady } from './socket-ready.ts';

/** Lifecycle of a container. */
export type InstanceState =
  /** Being created, started, and loading the function: the cold start. */
  | 'booting'
  /** Loaded and taking invocations. */
  | 'ready'
  /** Being removed, or gone: never used again. */
  | 'removed';

export type BootResult =
  { ok: true; logs: LogEntry[] } | { ok: false; error: ErrorData; logs: LogEntry[] };

export interface InstanceDeps {
  engine: DockerEngine;
  options: ResolvedOptions;
  /** Resolves the image this version runs in. */
  image: () => Promise<string>;
  /** Fetches the bundle code. */
  code: () => Promise<string>;
  /** Label value naming the live process that owns the container. */
  owner: string;
  /** Told once the container is removed, whatever the reason. */
  onRemoved: (instance: ContainerInstance) => void;
  logger?: Logger;
}

export class ContainerInstance {
  readonly fn: FunctionSpec;
  readonly id = randomBytes(6).toString('hex');
  readonly capacity: number;
  /** Settles when the cold start is over; never rejects. */
  readonly booted: Promise<BootResult>;
  /** Invocations running now. */
  active = 0;
  /** Epoch ms the last invocation ended, for idle reaping. */
  lastUsedAt = Date.now();
  #state: InstanceState = 'booting';
  readonly #deps: InstanceDeps;
  readonly #socketDir: string;
  readonly #client: ShimClient;
  /** ctx.queues of fetch and event handlers: the shim asks the node on a socket of its own. */
  readonly #queues: QueueHost;
  #containerId: string | undefined;
  #exited: Promise<void> | undefined;
  /** Epoch ms just before the container was created: where its engine events start. */
  #createdAt = 0;
  #removedBy: RemoveReason | undefined;
  #removal: Promise<void> | undefined;
  readonly #bootLogs: LogEntry[] = [];

  constructor(fn: FunctionSpec, deps: InstanceDeps) {
    this.fn = fn;
    this.#deps = deps;
    this.capacity = deps.options.invocationsPerContainer;
    this.#socketDir = join(deps.options.workDir, this.id);
    const { maxResponseBytes, logLimitBytes } = deps.options;
    // base64 grows bodies by a third; logs and JSON framing come on top.
    this.#client = new ShimClient(
      join(this.#socketDir, SOCKET_NAME),
      Math.ceil(maxResponseBytes * 1.4) + 4 * logLimitBytes + 1024 * 1024,
    );
    this.#queues = new QueueHost(deps.options.publishQueue);
    this.booted = this.#boot();
  }

  /** Console output of module initialization, given to the first invocation that asks. */
  takeBootLogs(): LogEntry[] {
    return this.#bootLogs.splice(0);
  }

  get state(): InstanceState {
    return this.#state;
  }

  /** The Docker container id, once created. */
  get containerId(): string | undefined {
    return this.#containerId;
  }

  /** Runs one invocation; rejects with the transport's error when the container failed under it. */
  async invoke(
    payload: InvocationPayload,
    ctx: InvocationContext,
    signal: AbortSignal,
  ): Promise<Decoded<{ response?: HttpResponseData; value?: unknown }>> {
    return this.#queues.around(ctx.deadline, async (queueToken) => {
      const body = {
        payload,
        ctx: {
          invocationId: ctx.id,
          callId: ctx.callId,
          attempt: ctx.attempt,
          deadline: ctx.deadline,
          queueToken,
        },
      };
      const reply = await this.#client.post('/invoke', body, signal);
      return decodeInvokeReply(reply, payload.kind, this.#deps.options);
    });
  }

  /** Explains a failed invocation or boot: waits briefly for the container to end, then asks. */
  async fault(): Promise<ErrorData> {
    const id = this.#containerId;
    if (id === undefined) {
      return new FjordError('FUNCTION_CRASHED', 'the container never started').toData();
    }
    return explainExit(
      this.#deps.engine,
      { id, createdAt: this.#createdAt, exited: this.#exited },
      { removedBy: this.#removedBy, memoryMb: this.fn.memoryMb },
    );
  }

  /** Removes the container and its directory. Idempotent; resolves when both are gone. */
  remove(reason: RemoveReason): Promise<void> {
    if (this.#removal !== undefined) return this.#removal;
    this.#state = 'removed';
    this.#removedBy = reason;
    this.#client.close();
    this.#queues.close();
    this.#removal = (async () => {
      // A container still being created: the boot sees the removal and removes what it made.
      if (this.#containerId === undefined) await this.booted;
      const id = this.#containerId;
      if (id !== undefined) {
        await this.#deps.engine.remove(id).catch((error: unknown) => {
          this.#deps.logger?.warn({ err: error, container: id }, 'container not removed');
        });
      }
      await rm(this.#socketDir, { recursive: true, force: true });
      this.#deps.onRemoved(this);
    })();
    return this.#removal;
  }

  async #boot(): Promise<BootResult> {
    const { engine, options } = this.#deps;
    let timeout = AbortSignal.timeout(options.startTimeoutMs);
    // Needed once the shim listens: fetched while the container starts, failing as a fetch.
    let fetching = true;
    const bundle = this.#deps.code().then(
      (code) => ({ ok: true as const, code }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void bundle.then(() => (fetching = false));
    try {
      const [image] = await Promise.all([
        this.#deps.image(),
        this.#makeSocketDir().then(() =>
          this.#queues.listen(join(this.#socketDir, HOST_SOCKET_NAME)),
        ),
      ]);
      // The start timeout is the container's: loading a large image from the gateway first
      // (once per node) must not use it up.
      timeout = AbortSignal.timeout(options.startTimeoutMs);
      if (this.#removal !== undefined) return this.#aborted();
      const config = containerConfig(
        this.fn,
        { instanceId: this.id, owner: this.#deps.owner, image, socketDir: this.#socketDir },
        options,
      );
      this.#createdAt = Date.now();
      const id = await engine.create(config);
      this.#containerId = id;
      if (this.#removal !== undefined) {
        await engine.remove(id).catch(() => undefined);
        return this.#aborted();
      }
      const ready = socketReady(this.#socketDir, SOCKET_NAME, timeout);
      await engine.start(id);
      const exited = engine.waitExit(id);
      this.#exited = exited;
      void exited.then(() => this.#onExit());
      const started = await Promise.race([ready.then(() => true), exited.then(() => false)]);
      ready.catch(() => undefined);
      if (!started) return { ok: false, error: await this.fault(), logs: [] };
      const waited = fetching;
      const fetched = await bundle;
      if (!fetched.ok) return { ok: false, error: fetchFailure(fetched.error), logs: [] };
      // As for the image: a slow fetch must not use up the container's start timeout.
      if (waited) timeout = AbortSignal.timeout(options.startTimeoutMs);
      const load: LoadRequest = {
        code: fetched.code,
        filename: `fjord:///${this.fn.name}@${this.fn.version}.js`,
        moduleGlobal: MODULE_GLOBAL,
        env: this.fn.env,
        maxResponseBytes: options.maxResponseBytes,
        logLimitBytes: options.logLimitBytes,
      };
      const reply = decodeLoadReply(
        await this.#client.post('/load', load, timeout),
        options.logLimitBytes,
      );
      this.#bootLogs.push(...reply.logs);
      if (!reply.ok) return reply;
      if (this.#removal !== undefined) return this.#aborted();
      this.#state = 'ready';
      return { ok: true, logs: reply.logs };
    } catch (error) {
      return { ok: false, error: await this.#bootFailure(error, timeout), logs: [] };
    }
  }

  async #bootFailure(error: unknown, timeout: AbortSignal): Promise<ErrorData> {
    if (this.#removal !== undefined) return this.#aborted().error;
    if (error instanceof Error && error.name === 'TimeoutError' && timeout.aborted) {
      return new FjordError(
        'FUNCTION_CRASHED',
        `the container did not start and load the function within ${this.#deps.options.startTimeoutMs} ms`,
      ).toData();
    }
    const data = FjordError.from(error);
    if (data.code !== 'INTERNAL') return data.toData();
    if (this.#containerId !== undefined) return this.fault();
    return new FjordError('INTERNAL', `could not start a container: ${String(error)}`, {
      retryable: true,
    }).toData();
  }

  #aborted(): { ok: false; error: ErrorData; logs: LogEntry[] } {
    const error = new FjordError(
      'FUNCTION_CRASHED',
      'the node stopped this function while it started',
      { retryable: true },
    ).toData();
    return { ok: false, error, logs: [] };
  }

  /** The shim's uid must be able to create its socket in the directory, whoever the host runs as. */
  async #makeSocketDir(): Promise<void> {
    await mkdir(this.#deps.options.workDir, { recursive: true, mode: 0o711 });
    await mkdir(this.#socketDir, { mode: 0o700 });
    const [uid, gid] = this.#deps.options.user.split(':').map(Number);
    try {
      await chown(this.#socketDir, uid ?? 1000, gid ?? uid ?? 1000);
    } catch {
      await chmod(this.#socketDir, 0o777);
    }
  }

  /** The container ended by itself (crash, OOM, kill) or was removed: it never runs again. */
  #onExit(): void {
    if (this.#state === 'removed') return;
    this.#deps.logger?.warn(
      { fn: this.fn.name, version: this.fn.version, container: this.#containerId },
      'container exited',
    );
    // Explained to in-flight invocations by fault(); removal waits until they have asked.
    this.#state = 'removed';
    if (this.active === 0) void this.remove('broken');
  }
}
