import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import { silentLogger } from '../../core/logger.ts';
import { queueTriggersContract } from './queue-triggers.contract.ts';

queueTriggersContract('embedded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-queues-'));
  after(() => rm(dir, { recursive: true, force: true }));
  return new EmbeddedBroker({ path: join(dir, 'broker.db'), logger: silentLogger() });
});
