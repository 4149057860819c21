/**
 * One supervised isolate host process: forks host-child.ts, sends it invocations, and restarts it
 * when it dies. Every invocation that had started on a process that dies resolves with
 * ISOLATE_HOST_CRASHED (retryable: the agent retries it per policy); one sent ahead of busy
 * isolates that was still waiting there for one (the child had not said it got one) goes to the
 * restarted process, once, before its latest end. A process that keeps dying before it is ready
 * is restarted with exponential backoff, and after `crashLoopAfter` failed starts in a row
 * invocations fail at once with ISOLATE_HOST_UNAVAILABLE instead of waiting.
 *
 * A process is wedged when an invocation goes unanswered past its due time plus a grace: its
 * latest end while it waits for an isolate, its own run deadline (its timeout from the lease)
 * once the child said it got one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { FjordError, isFjordError } from '../../core/errors.ts';
import type { ExecutionOutcome, InvocationContext } from '../../core/executor.ts';
import type { FunctionSpec, InvocationPayload, QueueSend } from '../../core/messages.ts';
import type { ResolvedHostOptions } from './host-options.ts';
import type { ChildMessage, ParentMessage } from './host-protocol.ts';
import { childEnv } from './child-env.ts';
import { failedOutcome } from './failed-outcome.ts';
import { InvokeBatch } from './invoke-batch.ts';
import { PendingReplies, type PendingInvocation } from './pending-replies.ts';
import { ReadyWaiters } from './ready-waiters.ts';
import { WedgeSweep } from './wedge-sweep.ts';
import { sentAhead } from '../latest-end.ts';

/** Lifecycle of one host process. */
export type HostState =
  /** Forked; the child has not said it is ready yet. */
  | 'starting'
  /** Taking invocations. */
  | 'ready'
  /** Died; a restart is scheduled after a backoff delay. */
  | 'backoff'
  /** Stopped for good (the executor is disposed). */
  | 'stopped';

/** How long a prewarm waits for a starting process. */
const PREWARM_WAIT_MS = 30_000;

/** A request without its correlation id, which {@link HostProcess} assigns. */
type Request<T extends ParentMessage['type']> = Omit<Extract<ParentMessage, { type: T }>, 'id'>;

/** What an invocation is sent with, kept until it is answered to send it again. */
type InvokeRequest = Request<'invoke'>;

export class HostProcess {
  readonly #options: ResolvedHostOptions;
  readonly #pending = new PendingReplies<InvokeRequest>();
  readonly #waiters = new ReadyWaiters();
  /** Invocations dispatched in one event loop turn go to the child as one message. */
  readonly #invocations = new InvokeBatch(
    (message) => this.#send(message),
    (id, error) => this.#pending.answer(id, failedOutcome(error)),
  );
  /** Kills the process when an invocation goes unanswered past its deadline and grace. */
  readonly #sweep: WedgeSweep;
  #child: ChildProcess | undefined;
  #state: HostState = 'starting';
  /** Deaths in a row before reaching 'ready'. */
  #failedStarts = 0;
  #lastExit = '';
  #restartDelayMs = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #instances = 0;
  #closed: Promise<void> = Promise.resolve();
  /** Processes started after the first one died. */
  restarts = 0;

  constructor(options: ResolvedHostOptions) {
    this.#options = options;
    this.#sweep = new WedgeSweep(this.#pending, options.unresponsiveGraceMs, (invocation) =>
      this.#kill(`it did not answer invocation ${invocation} after its deadline`),
    );
    this.#start();
  }

  get state(): HostState {
    return this.#state;
  }

  /** The current child's pid (undefined between a death and the restart). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Invocations running here now: the child said they got their isolate. */
  get started(): number {
    return this.#pending.started;
  }

  /** Warm isolates in this process, as of its last reply. */
  get instances(): number {
    return this.#state === 'ready' ? this.#instances : 0;
  }

  invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    const request: InvokeRequest = { type: 'invoke', fn, payload, ctx };
    // The common case goes out at once, without awaiting an already settled wait first.
    if (this.#state === 'ready') {
      return new Promise((resolve) => this.#dispatch(request, resolve, true));
    }
    return new Promise((resolve) => this.#whenReady(request, resolve, true));
  }

  /**
   * Sends `request` once the process is ready, or settles it with why it cannot be; `first` is
   * false for a run sent once more after a process died before it started.
   */
  #whenReady(
    request: InvokeRequest,
    resolve: (outcome: ExecutionOutcome) => void,
    first: boolean,
  ): void {
    const startedAt = performance.now();
    this.#waiters
      .wait(request.ctx.deadline, () => this.#verdict())
      .then(
        () => this.#dispatch(request, resolve, first),
        (error: unknown) => resolve(failedOutcome(error, startedAt)),
      );
  }

  #dispatch(
    request: InvokeRequest,
    resolve: (outcome: ExecutionOutcome) => void,
    first: boolean,
  ): void {
    // The child enforces the deadline itself; silence well past it means the process is wedged.
    const { ctx } = request;
    const now = Date.now();
    const answerBy = Math.max(now, ctx.deadline) + this.#options.unresponsiveGraceMs;
    const resendable = first && sentAhead(ctx, now);
    const id = this.#pending.invocation(request, resolve, answerBy, ctx.id, resendable);
    this.#sweep.start();
    this.#invocations.add({ ...request, id });
  }

  /**
   * Prewarm and evict: best effort, resolved when done or when the process is gone. A prewarm
   * waits for a starting process; an evict has nothing to do in a process that is not ready.
   */
  async control(request: Request<'prewarm'> | Request<'evict'>): Promise<void> {
    if (request.type === 'evict' && this.#state !== 'ready') return;
    try {
      await this.#waiters.wait(Date.now() + PREWARM_WAIT_MS, () => this.#verdict());
    } catch {
      return; // The invocations report why the process is unavailable.
    }
    await new Promise<void>((resolve) => {
      this.#send({ ...request, id: this.#pending.control(resolve) });
    });
  }

  /** Stops restarting, lets the child finish and dispose its isolates, then waits for it to exit. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return this.#closed;
    this.#state = 'stopped';
    clearTimeout(this.#restartTimer);
    this.#waiters.settle(this.#verdict());
    const child = this.#child;
    if (child !== undefined) {
      this.#invocations.flush();
      this.#send({ type: 'dispose' });
      const killer = setTimeout(() => child.kill('SIGKILL'), this.#options.disposeTimeoutMs);
      await this.#closed;
      clearTimeout(killer);
    }
  }

  #start(): void {
    this.#state = 'starting';
    const child = fork(this.#options.entry, [], {
      serialization: 'json',
      // The parent's flags (e.g. --test) are not the child's business.
      execArgv: [],
      env: childEnv(process.env),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child = child;
    this.#closed = new Promise((resolve) => {
      // 'close', not 'exit': every message the child sent has been delivered by then.
      child.once('close', (code, signal) => {
        this.#onClose(child, code, signal);
        resolve();
      });
    });
    child.on('message', (message: ChildMessage) => this.#onMessage(message));
    child.on('error', (error) => this.#options.logger?.error({ err: error }, 'isolate host error'));
    this.#send({
      type: 'init',
      options: this.#options.executor,
      liveLogs: this.#options.onLog !== undefined,
    });
  }

  #onMessage(message: ChildMessage): void {
    switch (message.type) {
      case 'ready':
        if (this.#state !== 'starting') return;
        this.#state = 'ready';
        this.#failedStarts = 0;
        this.#waiters.settle(this.#verdict());
        return;
      case 'outcomes': {
        this.#instances = message.instances;
        const grace = this.#options.unresponsiveGraceMs;
        for (const [id, runDeadline] of message.leased ?? []) {
          this.#pending.leased(id, runDeadline + grace);
        }
        for (const { id, outcome } of message.results) this.#pending.answer(id, outcome);
        return;
      }
      case 'done':
        this.#instances = message.instances;
        this.#pending.answer(message.id);
        return;
      case 'code': {
        const reply = this.#replyToAsker();
        this.#options.loadCode(message.sha).then(
          (code) => reply({ type: 'code', id: message.id, code }),
          (error: unknown) =>
            reply({
              type: 'code',
              id: message.id,
              error: isFjordError(error)
                ? error.toData()
                : { message: error instanceof Error ? error.message : String(error) },
            }),
        );
        return;
      }
      case 'queue':
        this.#publish(message.id, message.sends);
        return;
      case 'live-log':
        this.#options.onLog?.(message.event);
        return;
      case 'log':
        this.#options.logger?.[message.level](message.obj, message.msg);
        return;
    }
  }

  #publish(id: number, sends: QueueSend[]): void {
    const { publishQueue } = this.#options;
    const published =
      publishQueue === undefined
        ? Promise.reject(new FjordError('QUEUE_NOT_FOUND', 'this node publishes into no queues'))
        : publishQueue(sends);
    const reply = this.#replyToAsker();
    published.then(
      () => reply({ type: 'queue', id }),
      (error: unknown) =>
        reply({
          type: 'queue',
          id,
          error: isFjordError(error)
            ? error.toData()
            : { code: 'BROKER_UNAVAILABLE', message: String(error) },
        }),
    );
  }

  /**
   * Sends an answer to the child that asked (for code, or to publish), later: a reply to a child
   * that died meanwhile must not reach its successor, whose request ids start over.
   */
  #replyToAsker(): (message: ParentMessage) => void {
    const asker = this.#child;
    return (message) => {
      if (this.#child === asker) this.#send(message);
    };
  }

  #onClose(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
    this.#lastExit = how;
    const stopped = this.#state === 'stopped';
    if (stopped) {
      this.#pending.failAll(
        new FjordError('NO_CAPACITY', 'the executor shut down during the invocation'),
      );
      return;
    }
    const crashed = new FjordError(
      'ISOLATE_HOST_CRASHED',
      `the isolate host process ${how} during the invocation`,
    );
    const unstarted: PendingInvocation<InvokeRequest>[] = [];
    this.#pending.failAll(crashed, (entry) => {
      if (entry.request.ctx.deadline > Date.now()) unstarted.push(entry);
      else entry.resolve(failedOutcome(crashed));
    });
    if (this.#state !== 'ready') this.#failedStarts += 1;
    const { restartBackoffMs, maxRestartBackoffMs } = this.#options;
    // A process that served restarts at once; one that cannot even start backs off.
    this.#restartDelayMs =
      this.#failedStarts === 0
        ? 0
        : Math.min(maxRestartBackoffMs, restartBackoffMs * 2 ** (this.#failedStarts - 1));
    this.#options.logger?.error(
      { pid: child.pid, failedStarts: this.#failedStarts, restartInMs: this.#restartDelayMs },
      `isolate host process ${how}`,
    );
    this.#state = 'backoff';
    this.#waiters.settle(this.#verdict());
    // Runs sent ahead that were still waiting there for an isolate: the next process takes them.
    if (unstarted.length > 0) {
      this.#options.logger?.warn(
        { pid: child.pid, invocations: unstarted.map((entry) => entry.invocation) },
        `sending ${unstarted.length} invocations that had not started to the restarted process`,
      );
    }
    for (const { request, resolve } of unstarted) this.#whenReady(request, resolve, false);
    this.#restartTimer = setTimeout(() => {
      this.restarts += 1;
      this.#start();
    }, this.#restartDelayMs);
  }

  /** Whether an invocation may go ahead now (true), must wait (undefined), or fails (an error). */
  #verdict(): true | FjordError | undefined {
    if (this.#state === 'ready') return true;
    if (this.#state === 'stopped')
      return new FjordError('NO_CAPACITY', 'the executor is shut down');
    if (this.#failedStarts < this.#options.crashLoopAfter) return undefined;
    return new FjordError(
      'ISOLATE_HOST_UNAVAILABLE',
      `the isolate host process failed to start ${this.#failedStarts} times in a row ` +
        `(last: it ${this.#lastExit}); restarting with backoff (${this.#restartDelayMs} ms)`,
    );
  }

  #kill(why: string): void {
    if (this.#child === undefined) return;
    this.#options.logger?.error({ pid: this.#child.pid }, `killing isolate host process: ${why}`);
    this.#child.kill('SIGKILL');
  }

  #send(message: ParentMessage): void {
    // A send to a dying child is lost; its 'close' then settles whatever waits for an answer.
    if (this.#child?.connected === true) this.#child.send(message);
  }
}
