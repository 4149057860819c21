import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RabbitMqBroker } from '../adapters/broker-rabbitmq/rabbitmq-broker.ts';
import { EmbeddedBroker } from '../adapters/broker-embedded/embedded-broker.ts';
import { PostgresStore } from '../adapters/store-postgres/postgres-store.ts';
import { SqliteStore } from '../adapters/store-sqlite/sqlite-store.ts';
import { IsolateExecutor } from '../runtime/isolate/isolate-executor.ts';
import { IsolateHostExecutor } from '../runtime/isolate-host/isolate-host-executor.ts';
import type { QueuePublisher } from '../runtime/isolate/host-queue.ts';
import type { Broker } from '../core/broker.ts';
import { FjordError } from '../core/errors.ts';
import type { BundleSource, Executor } from '../core/executor.ts';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store.ts';

/** Opens the broker named by `--broker`: an amqp:// URL, or the embedded one in the data dir. */
export function openBroker(url: string | undefined, dataDir: string, logger: Logger): Broker {
  if (url === undefined || url === 'embedded') {
    mkdirSync(dataDir, { recursive: true });
    return new EmbeddedBroker({ path: join(dataDir, 'broker.db'), logger });
  }
  if (/^amqps?:\/\//.test(url)) return new RabbitMqBroker({ url, logger });
  throw new FjordError(
    'BAD_REQUEST',
    `--broker must be an amqp:// URL or "embedded", got "${url}"`,
  );
}

/**
 * Opens the store named by `--store`: a postgres:// URL (several gateways share it), or a
 * SQLite file path, by default in the data dir.
 */
export function openStore(location: string | undefined, dataDir: string, logger?: Logger): Store {
  if (location !== undefined && /^postgres(ql)?:\/\//.test(location)) {
    return openPostgresStore(location, logger);
  }
  mkdirSync(dataDir, { recursive: true });
  return new SqliteStore({ path: location ?? join(dataDir, 'fjord.db') });
}

/**
 * `postgres://user:password@host:port/database[?schema=NAME]`: pg's connection string, plus
 * `schema` for the schema Fjord's tables live in (created when missing).
 */
function openPostgresStore(location: string, logger: Logger | undefined): Store {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new FjordError('BAD_REQUEST', '--store is not a valid postgres:// URL');
  }
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  return new PostgresStore({
    url: url.toString(),
    ...(schema === null ? {} : { schema }),
    ...(logger === undefined ? {} : { logger: logger.child({ component: 'store' }) }),
  });
}

/**
 * Where a node runs its isolates (`--isolate-host`): `process`, in supervised child processes,
 * so a V8 crash ends one of them and not the node; `inline`, in the node's own process.
 */
export type IsolateHostMode = 'inline' | 'process';

/** Opens the isolate executor for `--isolate-host` (process by default). */
export function openIsolateExecutor(
  mode: IsolateHostMode | undefined,
  options: {
    loadCode: BundleSource;
    nodeId: string;
    logger: Logger;
    prewarmBudget?: number;
    /** Per executor: the node's own, or each isolate host process's. */
    blankIsolates?: number;
    publishQueue?: QueuePublisher;
  },
): Executor {
  const { loadCode, nodeId, logger, prewarmBudget, blankIsolates, publishQueue } = options;
  const budget = {
    ...(prewarmBudget === undefined ? {} : { prewarmBudget }),
    ...(blankIsolates === undefined ? {} : { blankIsolates }),
  };
  const queues = publishQueue === undefined ? {} : { publishQueue };
  if (mode === 'inline') return new IsolateExecutor({ loadCode, nodeId, ...budget, ...queues });
  return new IsolateHostExecutor({ loadCode, executor: { nodeId, ...budget }, logger, ...queues });
}
