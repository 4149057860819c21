import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { connect, type ChannelModel } from 'amqplib';
import { coalesceWrites } from '../../adapters/broker-rabbitmq/coalesce-writes.ts';
import { testVhost } from '../e2e/support/rabbitmq.ts';

let server: Server;
let received = '';
const arrived: (() => void)[] = [];

before(async () => {
  server = createServer((peer) => {
    peer.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
      for (const wake of arrived.splice(0)) wake();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
after(() => server.close());

async function connected(): Promise<Socket> {
  const socket = new Socket();
  socket.setNoDelay(true);
  socket.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Resolves once `text` has arrived at the server (the socket is closed by the test's end). */
async function receivedAll(text: string): Promise<void> {
  while (!received.includes(text)) await new Promise<void>((wake) => arrived.push(wake));
}

/** Records how many chunks each write of the socket's handle carries. */
function writesOf(socket: Socket): number[] {
  const batches: number[] = [];
  const internals = socket as unknown as {
    _writev: (chunks: unknown[], cb: unknown) => void;
    _write: (chunk: unknown, encoding: unknown, cb: unknown) => void;
  };
  const writev = internals._writev.bind(socket);
  const write = internals._write.bind(socket);
  internals._writev = (chunks, cb) => (batches.push(chunks.length), writev(chunks, cb));
  internals._write = (chunk, encoding, cb) => (batches.push(1), write(chunk, encoding, cb));
  return batches;
}

test('frames written in one tick leave in one write, in order, at the end of the tick', async () => {
  const socket = await connected();
  const model = { connection: { stream: socket } } as unknown as ChannelModel;
  assert.equal(coalesceWrites(model), true);
  const batches = writesOf(socket);
  socket.write('a1|');
  socket.write('a2|');
  socket.write('a3|');
  assert.deepEqual(batches, [], 'nothing is written before the tick ends');
  await new Promise((resolve) => process.nextTick(resolve));
  assert.deepEqual(batches, [3]);
  socket.write('b1|');
  await receivedAll('a1|a2|a3|b1|');
  assert.deepEqual(batches, [3, 1], 'a later tick gets a write of its own');
  socket.destroy();
});

test('a connection whose socket is not where amqplib 2 keeps it is left alone', () => {
  const model = { connection: {} } as unknown as ChannelModel;
  assert.equal(coalesceWrites(model), false);
});

/**
 * Publishes on a real connection and tells whether its frames were written before a
 * setImmediate queued right after the publish ran (amqplib's Mux moves frames on setImmediate).
 */
async function writtenBeforeImmediate(idleMs: number): Promise<boolean> {
  const model = await connect(testVhost(), { noDelay: true });
  try {
    const socket = (model.connection as unknown as { stream: Socket }).stream;
    assert.equal(coalesceWrites(model, idleMs), true);
    const channel = await model.createChannel();
    const batches = writesOf(socket);
    channel.publish('', 'no-such-queue', Buffer.from('{}'));
    const written = await new Promise<boolean>((resolve) =>
      setImmediate(() => resolve(batches.length > 0)),
    );
    await channel.close();
    return written;
  } finally {
    await model.close();
  }
}

test('a publish on an idle connection leaves in its own tick, not after the poll phase', async () => {
  assert.equal(await writtenBeforeImmediate(0), true);
});

test('a publish on a busy connection waits for the Mux to gather the poll phase', async () => {
  assert.equal(await writtenBeforeImmediate(Infinity), false);
});
