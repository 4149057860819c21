/**
 * RabbitMQ nodes of a test's own, beside the shared broker of scripts/ensure-rabbitmq.sh: for
 * broker settings the shared one must not change (a short consumer_timeout) and for faults it
 * must never suffer (a clustered node killed with SIGKILL).
 *
 * Each node gets a unique name, its own AMQP and distribution ports, its data and logs in a temp
 * directory, an empty plugin list (no management listener to collide with the shared broker's),
 * and an Erlang cookie of the test's own in that directory's `.erlang.cookie`: a test node can
 * neither join nor disturb the shared broker, and `rabbitmqctl -n` reaches it with HOME pointing
 * there. The CLI gets a distribution port range of its own too (the default 35672-35682 is what
 * every other rabbitmqctl on the machine uses). Tests destroy their nodes (SIGKILL to the
 * process group, directory removed) in `after`, whatever happened; an aborted `signal` does it
 * for nodes still booting, and a watchdog per node does it when the test's process dies (even by
 * SIGKILL, where no hook runs).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../support/inbox.ts';
import { killWithThisProcess } from './watchdog.ts';

/** The Debian package's scripts, run directly (the /usr/sbin wrappers switch to user rabbitmq). */
const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
/** Ports per node: AMQP, distribution, then the CLI's distribution range. */
const PORTS = 6;

export interface RabbitMqInstanceOptions {
  /** rabbitmq.conf settings, for instance `{ consumer_timeout: 5000 }`. */
  config?: Record<string, string | number>;
  /** Settings of the `rabbit` application in advanced.config (Erlang integers only). */
  rabbitEnv?: Record<string, number>;
  /** How long the node may take to boot. Default 180 s (about 15 s on an idle 2-core machine). */
  startTimeoutMs?: number;
  /**
   * Aborting it kills the node whatever it is doing (booting, joining, serving): a test's `after`
   * aborts it, so a test that timed out while its nodes were still starting leaves none behind.
   */
  signal?: AbortSignal;
}

/**
 * A free TCP port on loopback, and `count - 1` free ones right after it, none in `avoid` (ports
 * given to nodes that are not listening yet).
 */
async function freePorts(count: number, avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (;;) {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = (server.address() as { port: number }).port;
    server.close();
    if (base + count > 65_535) continue;
    if (Array.from({ length: count }, (_, i) => base + i).some((p) => avoid.has(p))) continue;
    const taken = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const probe = createServer().listen(base + i, '127.0.0.1');
        const [event] = await Promise.race([once(probe, 'listening'), once(probe, 'error')]).then(
          () => ['listening'],
          () => ['error'],
        );
        probe.close();
        return event !== 'listening';
      }),
    );
    if (!taken.some(Boolean)) return base;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One RabbitMQ node in its own process group, owned by the test that started it. */
export class RabbitMqInstance {
  /** The Erlang node name, for `rabbitmqctl -n`. */
  readonly node: string;
  /** The AMQP port on 127.0.0.1. */
  readonly port: number;
  readonly #dir: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #ctlEnv: NodeJS.ProcessEnv;
  readonly #child: ChildProcess;
  readonly #exited: Promise<unknown>;
  readonly #releaseWatchdog: () => void;
  readonly #signal: AbortSignal | undefined;

  private constructor(
    dir: string,
    cookie: string,
    ports: number,
    options: RabbitMqInstanceOptions,
  ) {
    this.#dir = dir;
    this.node = `fjtest-${randomBytes(4).toString('hex')}@localhost`;
    this.port = ports;
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.erlang.cookie'), cookie);
    chmodSync(join(home, '.erlang.cookie'), 0o400);
    writeFileSync(
      join(dir, 'rabbitmq.conf'),
      Object.entries(options.config ?? {})
        .map(([key, value]) => `${key} = ${value}\n`)
        .join(''),
    );
    const rabbit = Object.entries(options.rabbitEnv ?? {}).map(([k, v]) => `{${k}, ${v}}`);
    writeFileSync(join(dir, 'advanced.config'), `[{rabbit, [${rabbit.join(', ')}]}].\n`);
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    const base = { ...process.env, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
    this.#env = {
      ...base,
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(ports),
      RABBITMQ_DIST_PORT: String(ports + 1),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'), // none: /etc's must not apply
      RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    };
    writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
    const output = openSync(join(dir, 'output.log'), 'w');
    this.#ctlEnv = {
      ...base,
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_CTL_DIST_PORT_MIN: String(ports + 2),
      RABBITMQ_CTL_DIST_PORT_MAX: String(ports + PORTS - 1),
    };
    this.#child = spawn(join(RABBITMQ_BIN, 'rabbitmq-server'), [], {
      env: this.#env,
      cwd: dir,
      // What the node says before its log exists (why it could not boot) goes here.
      stdio: ['ignore', output, output],
      // Its own process group: kill() reaches the shell wrapper, erl and every port program.
      detached: true,
    });
    closeSync(output); // the child has its own copy
    this.#exited = once(this.#child, 'exit');
    this.#signal = options.signal;
    this.#releaseWatchdog = killWithThisProcess(this.pid, { group: true, remove: dir });
    void this.#exited.then(() => this.#releaseWatchdog());
    options.signal?.addEventListener('abort', () => void this.kill(), { once: true });
  }

  /**
   * Starts a node and resolves once it serves AMQP and `rabbitmqctl await_startup` agrees. The
   * caller destroys it in its `after` (an `after` registered here, inside a `before` hook, would
   * run when that hook ends); a node that fails to start is destroyed here. Nodes to be
   * clustered need the same `cookie`.
   */
  static async start(
    options: RabbitMqInstanceOptions = {},
    cookie = randomBytes(16).toString('hex').toUpperCase(),
    ports?: number,
  ): Promise<RabbitMqInstance> {
    const base = ports ?? (await freePorts(PORTS));
    options.signal?.throwIfAborted();
    const dir = mkdtempSync(join(tmpdir(), 'fjord-rabbit-'));
    const instance = new RabbitMqInstance(dir, cookie, base, options);
    try {
      await instance.#awaitStartup(options.startTimeoutMs ?? 180_000);
      options.signal?.throwIfAborted();
    } catch (error) {
      await instance.destroy();
      throw error;
    }
    return instance;
  }

  /** `amqp://guest:guest@127.0.0.1:PORT/` with `vhost` (default `/`). */
  url(vhost = '/'): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}/${encodeURIComponent(vhost)}`;
  }

  /** The OS process group of the node (the shell wrapper leads it). */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Runs `rabbitmqctl -n NODE ...args` and resolves with its stdout. */
  ctl(args: string[], timeoutMs = 120_000): Promise<string> {
    return this.#cli('rabbitmqctl', args, timeoutMs);
  }

  /** Runs `rabbitmq-queues -n NODE ...args` and resolves with its stdout. */
  queues(args: string[], timeoutMs = 120_000): Promise<string> {
    return this.#cli('rabbitmq-queues', args, timeoutMs);
  }

  /** SIGKILL to the whole node (the fault, or the cleanup); resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.running) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.#exited;
  }

  /** The end of the node's own log (or of its output, when it has no log yet), for failures. */
  logTail(chars = 4000): string {
    for (const file of [join('log', `${this.node}.log`), 'output.log']) {
      try {
        return readFileSync(join(this.#dir, file), 'utf8').slice(-chars);
      } catch {
        // Not written (yet): try the next.
      }
    }
    return '(no log)';
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #cli(tool: string, args: string[], timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        join(RABBITMQ_BIN, tool),
        ['-q', '-n', this.node, ...args],
        { env: this.#ctlEnv, timeout: timeoutMs, encoding: 'utf8', signal: this.#signal },
        (error, stdout, stderr) => {
          if (error === null) resolve(stdout);
          else reject(new Error(`${tool} ${args.join(' ')} failed: ${stderr}`, { cause: error }));
        },
      );
    });
  }

  async #awaitStartup(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    try {
      // A TCP probe costs nothing, where each rabbitmqctl boots an Erlang VM (a second of CPU).
      await waitFor(async () => !this.running || (await portOpen(this.port)), {
        timeoutMs,
        intervalMs: 250,
        what: `RabbitMQ node ${this.node} listening on ${this.port}`,
      });
      if (!this.running) throw new Error(`RabbitMQ node ${this.node} exited while booting`);
      await this.ctl(['await_startup'], Math.max(10_000, deadline - Date.now()));
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.logTail()}`, { cause: error });
    }
  }
}

/**
 * Starts `count` nodes at once (booting is CPU-bound: in parallel it costs about as long as the
 * slowest one) and joins the others to the first. Resolves once `cluster_status` of the first
 * lists every node as running; the caller destroys them. On a failure all are destroyed.
 */
export async function startRabbitMqCluster(
  count: number,
  options: RabbitMqInstanceOptions = {},
): Promise<RabbitMqInstance[]> {
  const cookie = randomBytes(16).toString('hex').toUpperCase();
  // Ports first, one node after the other: found at once, two nodes could get the same ones.
  const given = new Set<number>();
  const bases: number[] = [];
  for (let i = 0; i < count; i++) {
    const base = await freePorts(PORTS, given);
    for (let p = base; p < base + PORTS; p++) given.add(p);
    bases.push(base);
  }
  const started = await Promise.allSettled(
    bases.map((base) => RabbitMqInstance.start(options, cookie, base)),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  try {
    if (failed !== undefined) throw failed.reason;
    await joinCluster(nodes);
    options.signal?.throwIfAborted();
  } catch (error) {
    await Promise.all(nodes.map((n) => n.destroy()));
    throw error;
  }
  return nodes;
}

/** Joins the other nodes to the first and checks that all of them run in one cluster. */
async function joinCluster(nodes: RabbitMqInstance[]): Promise<void> {
  const [first, ...others] = nodes as [RabbitMqInstance, ...RabbitMqInstance[]];
  // One at a time: two nodes joining at once can race on the cluster's schema.
  for (const node of others) {
    await node.ctl(['stop_app']);
    await node.ctl(['join_cluster', first.node]);
    await node.ctl(['start_app']);
  }
  const status = await first.ctl(['cluster_status', '--formatter', 'json']);
  const running = (JSON.parse(status) as { running_nodes?: string[] }).running_nodes ?? [];
  for (const node of nodes) {
    if (!running.includes(node.node)) throw new Error(`${node.node} did not join: ${status}`);
  }
}
