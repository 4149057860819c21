import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Broker } from '../core/broker.ts';
import { FjordError } from '../core/errors.ts';
import type { Executor } from '../core/executor.ts';
import type { Logger } from '../core/logger.ts';
import type { SecretCipher } from '../core/secrets-cipher.ts';
import { SecretVault } from '../core/secrets-vault.ts';
import type { SecretSource } from '../core/secrets.ts';
import type { Store } from '../core/store.ts';
import type { AdmissionOptions } from '../gateway/admission.ts';
import { createGateway, type Gateway } from '../gateway/gateway.ts';
import { ImageStore } from '../gateway/image-store.ts';
import { RuntimeAgent } from '../runtime/agent.ts';
import { buildBaseImage } from '../runtime/container/base-image.ts';
import { ContainerExecutor } from '../runtime/container/container-executor.ts';
import { gatewayImageSource } from '../runtime/container/image-fetch.ts';
import { ExecutorRouter } from '../runtime/executor-router.ts';
import type { FunctionDirectory } from '../runtime/function-directory.ts';
import { GatewaySource } from '../runtime/gateway-source.ts';
import { queuePublisher } from '../runtime/queue-sends.ts';
import { ensureAdminCredentials, ensureToken } from './bootstrap-credentials.ts';
import { deployExamples } from './deploy-examples.ts';
import { listen, type Listening } from './listen.ts';
import {
  openBroker,
  openIsolateExecutor,
  openStore,
  type IsolateHostMode,
} from './open-adapters.ts';
import { StoreSource } from './store-source.ts';
import { gatewaySecretSource } from '../runtime/gateway-secret-source.ts';
import { SecretExecutor } from '../runtime/secret-executor.ts';

export interface StackOptions {
  /** Where the embedded broker, the SQLite store and credentials live. */
  dataDir: string;
  /** amqp:// URL; the embedded broker when absent. */
  broker?: string;
  /** SQLite file path; `<dataDir>/fjord.db` when absent. */
  store?: string;
  host: string;
  port: number;
  /** Which parts run in this process. */
  parts: { gateway: boolean; node: boolean };
  /** Node-only processes: the gateway to fetch functions and bundles from, and its token. */
  gateway?: string;
  token?: string;
  /** Booted isolates kept idle per active function version; the agent's default when absent. */
  prewarm?: number;
  /** Function versions that keep idle isolates; the executor's default when absent. */
  prewarmBudget?: number;
  /** Blank isolates per isolate executor; the executor's default when absent. */
  blankIsolates?: number;
  /** Where isolates run: child processes (default) or this process. */
  isolateHost?: IsolateHostMode;
  /** Seals and opens secrets (server/secrets-key.ts); absent: they cannot be set or opened here. */
  secretsCipher?: SecretCipher;
  /** The gateway's rate limits and queue-length cap (gateway/admission.ts); all off when absent. */
  admissionLimits?: AdmissionOptions | undefined;
  /** How long the gateway believes a verified token (gateway/token-cache.ts); its default when absent. */
  tokenCacheMs?: number | undefined;
  /** Deploy the example functions when missing (fn up). */
  examples?: boolean;
  drainGraceMs?: number;
  /** Called when the node finished a drain (`fn node drain`): nothing in flight, taking nothing. */
  onDrained?: () => void;
  logger: Logger;
}

export interface Stack {
  /** Gateway base URL, when this process runs a gateway. */
  url?: string;
  /** Admin credentials written for the CLI, when this process runs a gateway. */
  credentials?: { gateway: string; token: string; path: string };
  nodeId?: string;
  examples: string[];
  broker: Broker;
  /** Drains the node, stops the gateway, closes the broker, then the store. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the gateway, a runtime node, or both, sharing one broker connection. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { logger, parts } = options;
  if (parts.node && !parts.gateway && options.broker === undefined) {
    throw new FjordError(
      'BAD_REQUEST',
      'a separate node needs a shared broker: pass --broker amqp://...',
    );
  }
  const broker = openBroker(options.broker, options.dataDir, logger.child({ component: 'broker' }));
  const running: Running = {};
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= shutdown(running, broker, logger, options.drainGraceMs ?? 30_000));
  try {
    await broker.start();
    const stack: Stack = { broker, examples: [], stop };
    if (parts.gateway) {
      const store = openStore(options.store, options.dataDir, logger);
      running.store = store;
      await store.init();
      const gateway = createGateway({
        store,
        broker,
        logger: logger.child({ component: 'gateway' }),
        images: new ImageStore({ dir: join(options.dataDir, 'images'), ...imageLimit() }),
        ...(options.admissionLimits === undefined
          ? {}
          : { admissionLimits: options.admissionLimits }),
        ...(options.secretsCipher === undefined ? {} : { secretsCipher: options.secretsCipher }),
        ...(options.tokenCacheMs === undefined ? {} : { tokenCacheTtlMs: options.tokenCacheMs }),
      });
      running.gateway = gateway;
      await gateway.start();
      // Koa's callback handles its own errors; node:http ignores the promise it returns.
      const handle = gateway.app.callback();
      running.http = await listen(
        (request, response) => void handle(request, response),
        options.port,
        options.host,
      );
      stack.url = running.http.url;
      const credentials = await ensureAdminCredentials(store, options.dataDir, stack.url);
      stack.credentials = { ...credentials, path: join(options.dataDir, 'credentials.json') };
      if (!parts.node) await ensureToken(store, join(options.dataDir, 'node-token'), 'node');
    }
    if (parts.node) {
      const source = nodeSource(options, running.store);
      const nodeId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
      const publishQueue = queuePublisher(broker);
      const containers = new ContainerExecutor({
        loadCode: source.loadCode,
        nodeId,
        publishQueue,
        image: () => buildBaseImage(),
        // Function images come from the gateway, this process's own one included.
        fetchImage: gatewayImageSource(
          stack.credentials ?? { gateway: options.gateway ?? '', token: options.token ?? '' },
        ),
        logger: logger.child({ component: 'containers', node: nodeId }),
      });
      const executor = new ExecutorRouter({
        isolate: openIsolateExecutor(options.isolateHost, {
          loadCode: source.loadCode,
          nodeId,
          logger: logger.child({ component: 'isolate-host', node: nodeId }),
          prewarmBudget: options.prewarmBudget,
          blankIsolates: options.blankIsolates,
          publishQueue,
        }),
        container: containers,
      });
      // Only functions that declare secrets get them, fetched per invocation (rotation).
      const withSecrets = new SecretExecutor(executor, secretSource(options, running.store));
      running.executor = withSecrets;
      // Without a Docker engine the node still runs: container functions fail until it answers.
      const docker = await containers.start();
      const agent = new RuntimeAgent({
        broker,
        executor: withSecrets,
        directory: source,
        logger,
        nodeId,
        runtimes: executor.runtimes,
        resources: {
          version: fjordVersion(),
          runtimes: docker ? ['isolate', 'container'] : ['isolate'],
          warm: () => {
            const container = containers.stats().instances;
            return { container, isolate: executor.stats().instances - container };
          },
        },
        ...(options.onDrained === undefined ? {} : { onDrained: options.onDrained }),
        ...(options.prewarm === undefined ? {} : { prewarm: options.prewarm }),
      });
      running.agent = agent;
      await agent.start();
      stack.nodeId = nodeId;
    }
    if (options.examples && stack.credentials) {
      stack.examples = await deployExamples(
        stack.credentials.gateway,
        stack.credentials.token,
        logger,
      );
    }
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}

interface Running {
  store?: Store;
  gateway?: Gateway;
  http?: Listening;
  agent?: RuntimeAgent;
  executor?: Executor;
}

/**
 * Stops taking new HTTP connections, drains the node (so sync callers still get answers),
 * waits for HTTP requests in flight, then stops the gateway and closes the broker and the store.
 */
async function shutdown(
  running: Running,
  broker: Broker,
  logger: Logger,
  graceMs: number,
): Promise<void> {
  const step = async (what: string, task: (() => Promise<unknown>) | undefined): Promise<void> => {
    try {
      await task?.();
    } catch (error) {
      logger.error({ err: error, step: what }, 'shutdown step failed');
    }
  };
  const { agent, gateway, executor, store } = running;
  const httpClosed = running.http?.close();
  // Event streams (the dashboard's) never end by themselves: end them, or the close would wait.
  gateway?.events.close();
  await step('drain node', agent && (() => agent.drain(graceMs)));
  await step('close http', httpClosed && (() => httpClosed));
  await step('stop gateway', gateway && (() => gateway.stop()));
  await step('dispose executor', executor && (() => executor.dispose()));
  await step('close broker', () => broker.close());
  await step('close store', store && (() => store.close()));
}

/** The version of package.json, which nodes report in their heartbeats. */
function fjordVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/** FN_IMAGE_LIMIT_MB: the largest function image the gateway takes (default 1 GiB). */
function imageLimit(): { maxBytes?: number } {
  const mb = Number(process.env.FN_IMAGE_LIMIT_MB);
  return Number.isFinite(mb) && mb > 0 ? { maxBytes: Math.round(mb * 1024 * 1024) } : {};
}

function nodeSource(
  options: StackOptions,
  store: Store | undefined,
): FunctionDirectory & { loadCode: StoreSource['loadCode'] } {
  if (store) return new StoreSource(store);
  if (!options.gateway || !options.token) {
    throw new FjordError(
      'UNAUTHORIZED',
      'a separate node needs --gateway and --token (or FN_GATEWAY/FN_TOKEN)',
    );
  }
  return new GatewaySource({ gateway: options.gateway, token: options.token });
}

/** In `fn up` the node opens secrets from the store itself; a remote node asks the gateway. */
function secretSource(options: StackOptions, store: Store | undefined): SecretSource {
  if (store) {
    const vault = new SecretVault(store, options.secretsCipher);
    return (fn) => vault.reveal(fn.name, fn.secrets ?? []);
  }
  return gatewaySecretSource({ gateway: options.gateway ?? '', token: options.token ?? '' });
}
