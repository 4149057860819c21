import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import { silentLogger } from '../../core/logger.ts';
import { queueExchangesContract } from './queue-exchanges.contract.ts';
import { queueTriggersContract } from './queue-triggers.contract.ts';

async function create(): Promise<EmbeddedBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-queues-'));
  after(() => rm(dir, { recursive: true, force: true }));
  return new EmbeddedBroker({ path: join(dir, 'broker.db'), logger: silentLogger() });
}

queueTriggersContract('embedded', create);
queueExchangesContract('embedded', create);
