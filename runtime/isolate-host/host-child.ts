/**
 * Entry of an isolate host process: builds the ordinary {@link IsolateExecutor} here, so that a
 * V8 crash in one of its isolates ends this process and not the agent, and serves the parent's
 * messages (host-protocol.ts). Bundle code comes from the parent, which keeps the BundleSource:
 * this process holds no gateway address or token. Fetch, crypto and timer bridges run here, next
 * to the isolates.
 */
import { FjordError, isErrorData } from '../../core/errors.ts';
import { IsolateExecutor } from '../isolate/isolate-executor.ts';
import { sentAhead } from '../latest-end.ts';
import { childLogger } from './child-logger.ts';
import { failedOutcome } from './failed-outcome.ts';
import { OutcomeBatch } from './outcome-batch.ts';
import type { ChildMessage, HostInit, ParentMessage } from './host-protocol.ts';
import type { Invocation } from './invoke-batch.ts';
import { QueueRequests } from './queue-requests.ts';

function send(message: ChildMessage): void {
  // A parent that went away takes this process with it (the 'disconnect' handler below).
  if (process.connected) process.send?.(message);
}

/** Bundle code by sha, asked of the parent; the executor's own cache keeps it afterwards. */
class CodeRequests {
  readonly #waiting = new Map<
    number,
    { resolve: (code: string) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;

  readonly load = (sha: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#waiting.set(id, { resolve, reject });
      send({ type: 'code', id, sha });
    });

  settle(message: Extract<ParentMessage, { type: 'code' }>): void {
    const waiting = this.#waiting.get(message.id);
    if (waiting === undefined) return;
    this.#waiting.delete(message.id);
    const { code, error } = message;
    if (code !== undefined) waiting.resolve(code);
    else if (isErrorData(error)) waiting.reject(FjordError.from(error));
    else waiting.reject(new Error(error?.message ?? 'bundle unavailable'));
  }
}

function serve(init: HostInit): void {
  const code = new CodeRequests();
  const queues = new QueueRequests(send);
  const executor = new IsolateExecutor({
    ...init.options,
    loadCode: code.load,
    publishQueue: queues.publish,
    logger: childLogger(send, { component: 'isolate-host', pid: process.pid }),
    ...(init.liveLogs ? { onLog: (event) => send({ type: 'live-log', event }) } : {}),
  });
  const instances = () => executor.stats().instances;
  const outcomes = new OutcomeBatch(send, instances);
  const invoke = (message: Invocation): void => {
    outcomes.begin();
    const ahead = sentAhead(message.ctx, Date.now());
    void executor
      .invoke(message.fn, message.payload, message.ctx, (runDeadline) =>
        outcomes.leased(message.id, runDeadline, ahead),
      )
      // The executor reports faults as outcomes; anything it throws is a platform fault all the same.
      .catch((error: unknown) => failedOutcome(error))
      .then((outcome) => outcomes.add(message.id, outcome));
  };
  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'invoke':
        invoke(message);
        return;
      case 'invokes':
        for (const invocation of message.invocations) invoke(invocation);
        return;
      case 'prewarm':
        void executor
          .prewarm(message.fn, message.count)
          .then(() => send({ type: 'done', id: message.id, instances: instances() }));
        return;
      case 'evict':
        void executor
          .evict(message.name, message.keepVersion)
          .then(() => send({ type: 'done', id: message.id, instances: instances() }));
        return;
      case 'code':
        code.settle(message);
        return;
      case 'queue':
        queues.settle(message.id, message.error);
        return;
      case 'dispose':
        void executor.dispose().finally(() => {
          outcomes.flush();
          process.exit(0);
        });
        return;
      case 'init':
        return;
    }
  });
  send({ type: 'ready' });
}

// Without its parent this process has nobody to answer to: it must not linger as an orphan.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group and systemd signals the whole cgroup: the node drains
// first and then disposes this process, which must not die under its in-flight work meanwhile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
process.once('message', (message: ParentMessage) => {
  if (message.type === 'init') serve(message);
});
