import type { FunctionSpec, NodeInfo } from '../core/messages.ts';

export interface ClusterSharesOptions {
  nodeId: string;
  /** This node's heartbeat interval: how long it listens for peers before taking capped work. */
  heartbeatMs: number;
  /** Told when the shares may have changed (a peer came or went, or the warm-up ended). */
  onChange: () => void;
  now?: () => number;
}

interface Peer {
  lastSeen: number;
  info: NodeInfo;
}

/**
 * Per-function concurrency caps across the cluster (fn.json `limits.concurrency`), without a
 * coordinator: every node hears every heartbeat, so every node knows the same list of running
 * nodes that can run a function, and takes its share of the cap by its place in that list
 * (sorted ids: the first `cap % nodes` take one more). The shares add up to the cap, and each
 * node enforces its own as prefetch plus a local gate ({@link CapGate}).
 *
 * A node that has just started hears nobody yet, so it takes no capped work for one heartbeat
 * interval, by the end of which every live peer has announced itself. While membership changes
 * (a node joins, drains or dies) nodes disagree for up to a heartbeat, and a node whose share
 * shrank finishes what it runs: the cap can be exceeded then by what was in flight. A node that
 * died stops counting after three of its heartbeat intervals, as the gateways see it.
 */
export class ClusterShares {
  readonly #options: ClusterSharesOptions;
  readonly #now: () => number;
  readonly #peers = new Map<string, Peer>();
  /** When this node started listening; capped work waits a heartbeat interval from then. */
  #since = Infinity;
  #ready = false;
  #members = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ClusterSharesOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Starts watching for the end of the warm-up and for peers that fell silent. */
  start(): void {
    if (this.#since === Infinity) this.#since = this.#now();
    this.#timer ??= setInterval(() => this.#check(), this.#options.heartbeatMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A heartbeat from any node, this one included. */
  heard(info: NodeInfo): void {
    if (info.id !== this.#options.nodeId) {
      this.#peers.set(info.id, { lastSeen: this.#now(), info });
    }
    this.#check();
  }

  /** Invocations of `spec` this node may run at once: its share of the cap, within its concurrency. */
  share(spec: FunctionSpec): number {
    const cap = spec.clusterConcurrency;
    if (cap === undefined) return spec.concurrency;
    if (!this.#ready) return 0;
    const ids = [this.#options.nodeId, ...this.#livePeers(spec)].sort();
    const place = ids.indexOf(this.#options.nodeId);
    const share = Math.floor(cap / ids.length) + (place < cap % ids.length ? 1 : 0);
    return Math.min(share, spec.concurrency);
  }

  #livePeers(spec: FunctionSpec): string[] {
    const now = this.#now();
    const live: string[] = [];
    for (const [id, { lastSeen, info }] of this.#peers) {
      const silentFor = now - lastSeen;
      if (silentFor > 3 * (info.heartbeatMs ?? 5000)) continue;
      if (info.state !== 'running') continue;
      if (!(info.runtimes ?? ['isolate']).includes(spec.runtime)) continue;
      live.push(id);
    }
    return live;
  }

  /** Tells onChange when the warm-up ended or the set of running peers changed. */
  #check(): void {
    const now = this.#now();
    const wasReady = this.#ready;
    this.#ready ||= now - this.#since >= this.#options.heartbeatMs;
    const members = [...this.#peers]
      .filter(([, p]) => p.info.state === 'running')
      .filter(([, p]) => now - p.lastSeen <= 3 * (p.info.heartbeatMs ?? 5000))
      .map(([id, p]) => `${id}:${(p.info.runtimes ?? ['isolate']).join('+')}`)
      .sort()
      .join(',');
    if (members === this.#members && wasReady === this.#ready) return;
    this.#members = members;
    this.#options.onChange();
  }
}

/**
 * Runs at most `limit` invocations of a function at once on this node, `limit` read again each
 * time one ends (so a share that shrank holds new deliveries until enough finished). A limit
 * of 0 hands the task to `refuse` instead: this node has no share to wait for.
 */
export class CapGate {
  readonly #running = new Map<string, number>();
  readonly #waiting = new Map<string, (() => void)[]>();

  async run<T>(
    fn: string,
    limit: () => number,
    task: () => Promise<T>,
    refuse: () => T,
  ): Promise<T> {
    while ((this.#running.get(fn) ?? 0) >= limit()) {
      if (limit() < 1) return refuse();
      await new Promise<void>((resolve) => this.#queue(fn).push(resolve));
    }
    this.#running.set(fn, (this.#running.get(fn) ?? 0) + 1);
    try {
      return await task();
    } finally {
      this.#running.set(fn, (this.#running.get(fn) ?? 1) - 1);
      this.#queue(fn).shift()?.();
    }
  }

  /** Lets every waiter look again: a limit may have grown. */
  wakeAll(): void {
    for (const queue of this.#waiting.values()) for (const resolve of queue.splice(0)) resolve();
  }

  #queue(fn: string): (() => void)[] {
    let queue = this.#waiting.get(fn);
    if (queue === undefined) {
      queue = [];
      this.#waiting.set(fn, queue);
    }
    return queue;
  }
}

/** What {@link ConcurrencyCaps.run} needs of a delivery. */
export interface CappedDelivery {
  message: { fn: FunctionSpec };
}

/**
 * A node's side of a function's concurrency: its slots (`concurrency`, or its share of a
 * cluster-wide cap, {@link ClusterShares}) and the gate its runs pass.
 */
export interface ConcurrencyCapsOptions extends ClusterSharesOptions {
  /**
   * Runs of an uncapped function let through beyond its slots (runtime/delivery-window.ts): its
   * executor holds them until an instance is free. None when absent.
   */
  aheadOf?: (spec: FunctionSpec) => number;
}

export class ConcurrencyCaps {
  readonly #shares: ClusterShares;
  readonly #gate = new CapGate();
  readonly #aheadOf: (spec: FunctionSpec) => number;

  /** `onChange` re-reads every capped function's prefetch (NodeConsumers.refreshCapped). */
  constructor(options: ConcurrencyCapsOptions) {
    this.#aheadOf = options.aheadOf ?? (() => 0);
    this.#shares = new ClusterShares({
      ...options,
      onChange: () => {
        options.onChange();
        this.#gate.wakeAll();
      },
    });
  }

  start(): void {
    this.#shares.start();
  }

  stop(): void {
    this.#shares.stop();
  }

  heard(info: NodeInfo): void {
    this.#shares.heard(info);
  }

  /** Runs of a function this node allows at once: its share of a cap, else its concurrency. */
  slotsOf(spec: FunctionSpec): number {
    return this.#shares.share(spec);
  }

  /** Runs the executor takes ahead of free instances: none for a capped function. */
  aheadOf(spec: FunctionSpec): number {
    return spec.clusterConcurrency === undefined ? this.#aheadOf(spec) : 0;
  }

  /** Lets the runs waiting at the gate look again: a function's runs ahead grew. */
  wake(): void {
    this.#gate.wakeAll();
  }

  /**
   * Runs `task` within the function's slots, plus the runs its executor takes ahead of free
   * instances ({@link aheadOf}); deliveries held beyond them (runtime/delivery-window.ts) wait
   * here. A function with no share here any more gets `refuse()` instead, to hand the delivery
   * back to the nodes that have one.
   */
  run<T>(delivery: CappedDelivery, task: () => Promise<T>, refuse: () => T): Promise<T> {
    const spec = delivery.message.fn;
    const limit = (): number => {
      const share = this.#shares.share(spec);
      return share < 1 ? share : share + this.aheadOf(spec);
    };
    return this.#gate.run(spec.name, limit, task, refuse);
  }
}
