/**
 * The isolate Executor, hosted in child processes: each process runs an ordinary IsolateExecutor,
 * so a V8 crash (a fatal error, a segfault in native code) ends that process and the invocations
 * in flight on it, never the agent. Invocations of one function go to the same process (sticky
 * by name, all versions), so its warm isolates are reused and the process caps its isolates at
 * the function's `concurrency` across versions; when that process is down, another ready process
 * takes them. A function's runs in flight stay together: its next runs go where they are (even
 * once its own process is back, or while theirs is starting), so runs sent ahead of free isolates
 * (runtime/delivery-window.ts) never wait in two processes, each running up to `concurrency`.
 *
 * What crosses the IPC channel per invocation is one message each way: the spec, payload and
 * context out, the outcome (with logs, cpuMs, coldStart) back. Bundle code crosses once per
 * bundle and process. Deliberately left out: the inline executor's `lookup` override (a function
 * cannot cross processes); host bridges use the child's own resolver, fetch, crypto and timers.
 */
import type {
  ExecutionOutcome,
  Executor,
  ExecutorStats,
  InvocationContext,
} from '../../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../../core/messages.ts';
import { BundleCache } from '../bundle-cache.ts';
import { resolveHostOptions, type IsolateHostOptions } from './host-options.ts';
import { HostProcess } from './host-process.ts';

export type { IsolateHostOptions } from './host-options.ts';

/** Bundles the parent keeps for its host processes (as many as each process keeps itself). */
const BUNDLES_KEPT = 64;

/** Where a function's runs in flight went, and how many there are. */
interface Placement {
  host: HostProcess;
  runs: number;
}

export class IsolateHostExecutor implements Executor {
  readonly #hosts: HostProcess[];
  readonly #placed = new Map<string, Placement>();
  #coldStarts = 0;
  #invocations = 0;

  constructor(options: IsolateHostOptions) {
    const resolved = resolveHostOptions(options);
    // Code is asked for once per bundle and process. Kept here too, a bundle this node has
    // fetched reaches its other processes (a restarted one, or one taking a version while the
    // version's own was down) without the gateway: a node keeps running while no gateway answers.
    const bundles = new BundleCache(resolved.loadCode, BUNDLES_KEPT, (_sha, code) => code);
    const loadCode = (sha: string): Promise<string> => bundles.get(sha);
    this.#hosts = Array.from(
      { length: resolved.processes },
      () => new HostProcess({ ...resolved, loadCode }),
    );
  }

  /** Pids of the host processes running now (for operators and tests). */
  get pids(): number[] {
    return this.#hosts.map((host) => host.pid).filter((pid) => pid !== undefined);
  }

  /** Host processes ready to take invocations now (one still starting has its own lent out). */
  get ready(): number {
    return this.#hosts.filter((host) => host.state === 'ready').length;
  }

  /**
   * Invocations running in host processes now, as the processes told (a run sent ahead of a
   * free isolate counts once it got one).
   */
  get started(): number {
    return this.#hosts.reduce((sum, host) => sum + host.started, 0);
  }

  /** Host processes started again after one died. */
  get restarts(): number {
    return this.#hosts.reduce((sum, host) => sum + host.restarts, 0);
  }

  async invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    this.#invocations += 1;
    const placement = this.#place(fn);
    try {
      const outcome = await placement.host.invoke(fn, payload, ctx);
      if (outcome.coldStart) this.#coldStarts += 1;
      return outcome;
    } finally {
      placement.runs -= 1;
      if (placement.runs === 0 && this.#placed.get(fn.name) === placement) {
        this.#placed.delete(fn.name);
      }
    }
  }

  async prewarm(fn: FunctionSpec, count: number): Promise<void> {
    // Where its runs are, if any: isolates warmed elsewhere would not serve them.
    const host = this.#placed.get(fn.name)?.host ?? this.#route(fn);
    await host.control({ type: 'prewarm', fn, count });
  }

  async evict(name: string, keepVersion?: number): Promise<void> {
    const request = {
      type: 'evict' as const,
      name,
      ...(keepVersion === undefined ? {} : { keepVersion }),
    };
    await Promise.all(this.#hosts.map((host) => host.control(request)));
  }

  stats(): ExecutorStats {
    const instances = this.#hosts.reduce((sum, host) => sum + host.instances, 0);
    return { instances, coldStarts: this.#coldStarts, invocations: this.#invocations };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#hosts.map((host) => host.stop()));
  }

  /**
   * The process of the function's runs in flight, whatever its state: runs waiting for a
   * starting process run once it is ready, so a run sent elsewhere meanwhile could run beside
   * them. (Runs on a process that dies are answered at once, but for runs sent ahead that had
   * not started: they wait for its restart, and the function's next runs with them.)
   */
  #place(fn: FunctionSpec): Placement {
    let placement = this.#placed.get(fn.name);
    if (placement === undefined) {
      placement = { host: this.#route(fn), runs: 0 };
      this.#placed.set(fn.name, placement);
    }
    placement.runs += 1;
    return placement;
  }

  /** The function's own process when it is ready, else any ready one, else its own (to wait). */
  #route(fn: FunctionSpec): HostProcess {
    const own = this.#hosts[stickyIndex(fn, this.#hosts.length)];
    if (own === undefined) throw new Error('no host process'); // unreachable: processes >= 1
    if (own.state === 'ready') return own;
    return this.#hosts.find((host) => host.state === 'ready') ?? own;
  }
}

/**
 * The host process (by index) of a function, all its versions: FNV-1a of its name, cheap,
 * stable, and even enough over a few processes.
 */
export function stickyIndex(fn: Pick<FunctionSpec, 'name'>, size: number): number {
  const key = fn.name;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % size;
}
