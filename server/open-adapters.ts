import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RabbitMqBroker } from '../adapters/broker-rabbitmq/rabbitmq-broker.ts';
import { EmbeddedBroker } from '../adapters/broker-embedded/embedded-broker.ts';
import { SqliteStore } from '../adapters/store-sqlite/sqlite-store.ts';
import type { Broker } from '../core/broker.ts';
import { FjordError } from '../core/errors.ts';
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

/** Opens the store named by `--store`: a SQLite file path, by default in the data dir. */
export function openStore(location: string | undefined, dataDir: string): Store {
  if (location !== undefined && /^postgres(ql)?:\/\//.test(location)) {
    throw new FjordError(
      'BAD_REQUEST',
      'the PostgreSQL store is not available yet: use a SQLite file path',
    );
  }
  mkdirSync(dataDir, { recursive: true });
  return new SqliteStore({ path: location ?? join(dataDir, 'fjord.db') });
}
