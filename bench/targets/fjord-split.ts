/**
 * Fjord's split deployment as real processes: `fn gateway` and one or more `fn node` processes
 * meeting on RabbitMQ, in a vhost of their own (created here, deleted on stop).
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { startReady, type Children, type ReadyChild } from '../support/child.ts';
import { createVhost } from '../support/vhost.ts';
import { fjordApi, type FjordApi } from './fjord-api.ts';
import { adminToken, fjordEnv, FN_BIN } from './fjord.ts';

export interface SplitOptions {
  /** RabbitMQ URL (any vhost: the stack gets its own). */
  amqpUrl: string;
  /** Names the vhost, the data dirs and the log files. */
  name: string;
  workDir: string;
  children: Children;
  /** `fn node` processes to start with the gateway. */
  nodes: number;
}

export interface SplitStack extends FjordApi {
  /** Process ids of the `fn node` processes, in start order. */
  nodePids(): number[];
  /** The gateway's and the nodes' process ids. */
  pids(): number[];
  /** Starts one more `fn node`. */
  addNode(): Promise<void>;
  /** Stops the nodes, then the gateway (SIGTERM, drained), then deletes the vhost. */
  stop(): Promise<void>;
}

interface GatewayReady {
  event: 'ready';
  url: string;
  credentials: string;
  nodeToken: string;
}

export async function startSplit(options: SplitOptions): Promise<SplitStack> {
  const vhost = await createVhost(options.amqpUrl, options.name);
  const nodes: ReadyChild<object>[] = [];
  let gateway: ReadyChild<GatewayReady> | undefined;
  const stop = async (): Promise<void> => {
    try {
      await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
      await gateway?.stop('SIGTERM');
    } finally {
      // Even when a process would not stop: a vhost left behind keeps its queues on the shared
      // broker. The figures are taken by now: a broker too busy to delete the vhost in time
      // must not discard them. The next run's vhost has another name.
      await vhost.remove().catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`vhost of ${options.name} not deleted: ${message}\n`);
      });
    }
  };
  try {
    const dataDir = join(options.workDir, `${options.name}-gateway`);
    gateway = await startReady<GatewayReady>(
      process.execPath,
      [FN_BIN, 'gateway', '--json', '--port', '0', '--data-dir', dataDir, '--broker', vhost.url],
      {
        env: fjordEnv(),
        logFile: join(options.workDir, `${options.name}-gateway.log`),
        children: options.children,
      },
    );
    const url = gateway.ready.url.replace(/\/+$/, '');
    const nodeToken = (await readFile(gateway.ready.nodeToken, 'utf8')).trim();
    const addNode = async (): Promise<void> => {
      const n = nodes.length + 1;
      const node = await startReady<object>(
        process.execPath,
        [FN_BIN, 'node', '--json', '--broker', vhost.url, '--gateway', url, '--token', nodeToken],
        {
          env: fjordEnv({ FN_HOME: join(options.workDir, `${options.name}-node-${n}`) }),
          logFile: join(options.workDir, `${options.name}-node-${n}.log`),
          children: options.children,
        },
      );
      nodes.push(node);
    };
    for (let i = 0; i < options.nodes; i++) await addNode();
    return {
      ...fjordApi(url, await adminToken(gateway.ready.credentials)),
      nodePids: () => nodes.map((node) => node.child.pid ?? NaN),
      pids: () => [gateway?.child.pid ?? NaN, ...nodes.map((node) => node.child.pid ?? NaN)],
      addNode,
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
