/**
 * A runtime agent on an in-memory embedded broker, for unit tests of the agent loop with a
 * stand-in executor: finished results and dead letters are collected in inboxes, and the agent
 * is drained and the broker closed when the test ends. The agent is not started.
 */
import type { TestContext } from 'node:test';
import { EmbeddedBroker } from '../../adapters/broker-embedded/index.ts';
import type { Executor } from '../../core/executor.ts';
import { silentLogger } from '../../core/logger.ts';
import type { DeadLetter, FunctionSpec, InvocationResult } from '../../core/messages.ts';
import { RuntimeAgent } from '../../runtime/agent.ts';
import { Inbox } from './inbox.ts';

export async function agentOnEmbeddedBroker(t: TestContext, fn: FunctionSpec, executor: Executor) {
  const broker = new EmbeddedBroker({ path: ':memory:', logger: silentLogger() });
  await broker.start();
  const results = new Inbox<InvocationResult>();
  const letters = new Inbox<DeadLetter>();
  await broker.consumeResults(async (event) => {
    if (event.type === 'finished') results.push(event.result);
  });
  await broker.consumeDeadLetters(async (letter) => letters.push(letter));
  const agent = new RuntimeAgent({
    broker,
    executor,
    directory: { list: async () => [fn] },
    logger: silentLogger(),
    nodeId: 'node-1',
  });
  t.after(async () => {
    await agent.drain(1000);
    await broker.close();
  });
  return { broker, agent, results, letters };
}
