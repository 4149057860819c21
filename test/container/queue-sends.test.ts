/**
 * ctx.queues in a container's fetch and event handlers: the shim asks the node over the node's
 * socket in the container's directory (runtime/container/queue-host.ts), and the node publishes.
 * The same cases as for isolates (test/support/queue-send-cases.ts), against real containers.
 */
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import type { QueuePublisher } from '../../runtime/isolate/host-queue.ts';
import { queueSendCases } from '../support/queue-send-cases.ts';
import { baseImage, ContainerFixtures } from './support/container-fixtures.ts';

const fixtures = new ContainerFixtures();
const open = async (publishQueue?: QueuePublisher) =>
  new ContainerExecutor({
    loadCode: fixtures.bundles.load,
    image: await baseImage(),
    nodeId: 'queue-sends-test',
    ...(publishQueue === undefined ? {} : { publishQueue }),
  });

queueSendCases('container', {
  executor: (publishQueue) => open(publishQueue),
  bare: () => open(),
  spec: (fixture) => fixtures.spec(fixture),
});
