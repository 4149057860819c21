import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AckBatch } from '../../adapters/broker-rabbitmq/ack-batch.ts';

/** A channel that records the frames it would send: `ack T`, `ack T+` (multiple), `nack T`. */
function recordingChannel(options: { closed?: boolean } = {}) {
  const frames: string[] = [];
  const check = (): void => {
    if (options.closed === true) throw new Error('Channel closed');
  };
  const channel = {
    ack: (m: ConsumeMessage, multiple = false) => {
      check();
      frames.push(`ack ${m.fields.deliveryTag}${multiple ? '+' : ''}`);
    },
    nack: (m: ConsumeMessage, _multiple: boolean, requeue: boolean) => {
      check();
      frames.push(`nack ${m.fields.deliveryTag}${requeue ? ' requeue' : ''}`);
    },
  };
  return { frames, channel: channel as unknown as Channel };
}

function deliveries(batch: AckBatch, count: number): ConsumeMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const message = { fields: { deliveryTag: i + 1 } } as unknown as ConsumeMessage;
    batch.delivered(message);
    return message;
  });
}

const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

test('acks of one tick that settle everything up to a tag go as one multiple ack', async () => {
  const { frames, channel } = recordingChannel();
  const batch = new AckBatch(channel);
  const [one, two, three] = deliveries(batch, 3);
  for (const m of [two, one, three]) batch.ack(m!);
  assert.deepEqual(frames, [], 'nothing before the end of the tick');
  await tick();
  assert.deepEqual(frames, ['ack 3+']);
});

test('an unsettled delivery splits the run: the acks after it go one by one', async () => {
  const { frames, channel } = recordingChannel();
  const batch = new AckBatch(channel);
  const [one, two, three, four] = deliveries(batch, 4);
  batch.ack(one!);
  batch.ack(three!);
  batch.ack(four!);
  await tick();
  assert.deepEqual(frames, ['ack 1+', 'ack 3', 'ack 4']);
  batch.ack(two!);
  await tick();
  // 3 and 4 are settled already, so the run ends at 2.
  assert.deepEqual(frames.slice(3), ['ack 2+']);
  const five = { fields: { deliveryTag: 5 } } as unknown as ConsumeMessage;
  batch.delivered(five);
  batch.ack(five);
  await tick();
  assert.deepEqual(frames.slice(4), ['ack 5+']);
});

test('a nack goes at once, and a later multiple ack runs past it', async () => {
  const { frames, channel } = recordingChannel();
  const batch = new AckBatch(channel);
  const [one, two, three] = deliveries(batch, 3);
  batch.ack(two!);
  batch.nack(one!, true);
  assert.deepEqual(frames, ['nack 1 requeue']);
  batch.nack(three!, false);
  await tick();
  assert.deepEqual(frames, ['nack 1 requeue', 'nack 3', 'ack 2+']);
});

test('flush() sends what is gathered at once, and a closed channel is not an error', async () => {
  const { frames, channel } = recordingChannel();
  const batch = new AckBatch(channel);
  const [one] = deliveries(batch, 1);
  batch.ack(one!);
  batch.flush();
  assert.deepEqual(frames, ['ack 1+']);
  await tick();
  assert.deepEqual(frames, ['ack 1+'], 'nothing left for the end of the tick');

  const closed = new AckBatch(recordingChannel({ closed: true }).channel);
  const [lost] = deliveries(closed, 1);
  closed.ack(lost!);
  assert.doesNotThrow(() => closed.flush());
});

test('a delivery held long splits the runs but leaves nothing behind once it settles', async () => {
  const { frames, channel } = recordingChannel();
  const batch = new AckBatch(channel);
  const [held, ...rest] = deliveries(batch, 5);
  for (const m of rest) batch.ack(m);
  await tick();
  assert.deepEqual(frames, ['ack 2', 'ack 3', 'ack 4', 'ack 5']);
  batch.ack(held!);
  const six = { fields: { deliveryTag: 6 } } as unknown as ConsumeMessage;
  batch.delivered(six);
  batch.ack(six);
  await tick();
  // 2 to 5 were acked already: one multiple ack of 6 covers 1 and 6.
  assert.deepEqual(frames.slice(4), ['ack 6+']);
});
