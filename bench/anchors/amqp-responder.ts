/**
 * The server side of the raw amqplib RPC anchor, in a process of its own as Fjord's node is:
 * consumes a durable queue, quorum (Fjord's queue type) or classic (the queue type of the DESIGN.md
 * anchor), answers each request by direct reply-to with a small JSON body, acks. Prints
 * {"event":"ready","queue":...} once it consumes.
 *
 * Run: node bench/anchors/amqp-responder.ts URL QUEUE quorum|classic [PREFETCH]
 */
import { connect } from 'amqplib';

const [url, queue, type = 'quorum', prefetch = '64'] = process.argv.slice(2);
if (url === undefined || queue === undefined) throw new Error('usage: URL QUEUE TYPE [PREFETCH]');

const connection = await connect(url, { noDelay: true });
const channel = await connection.createChannel();
await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': type } });
await channel.prefetch(Number(prefetch));
await channel.consume(queue, (m) => {
  if (m === null) return;
  const request = JSON.parse(m.content.toString()) as { n: number };
  const reply = Buffer.from(JSON.stringify({ ok: true, path: '/', n: String(request.n) }));
  channel.publish('', String(m.properties.replyTo), reply, {
    correlationId: String(m.properties.correlationId),
  });
  channel.ack(m);
});
console.log(JSON.stringify({ event: 'ready', queue }));
process.on('SIGTERM', () => {
  void (async () => {
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    process.exit(0);
  })();
});
