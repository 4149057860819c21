/**
 * ctx.queues in fetch and event handlers on isolates: each send is a host call that the node's
 * publisher answers, in the node's own process (inline) and through an isolate host process (IPC
 * to the parent, which holds the broker). The cases are test/support/queue-send-cases.ts.
 */
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { IsolateHostExecutor } from '../../runtime/isolate-host/isolate-host-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { queueSendCases } from '../support/queue-send-cases.ts';

for (const host of ['inline', 'process'] as const) {
  const bundles = new FixtureBundles();
  queueSendCases(host, {
    executor: async (publishQueue) =>
      host === 'inline'
        ? new IsolateExecutor({ loadCode: bundles.load, publishQueue })
        : new IsolateHostExecutor({ loadCode: bundles.load, processes: 1, publishQueue }),
    bare: async () => new IsolateExecutor({ loadCode: bundles.load }),
    spec: (fixture) => bundles.spec(fixture),
  });
}
