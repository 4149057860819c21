import { buffer } from 'node:stream/consumers';
import { defineCommand, type Io } from '../command.ts';
import { connect } from '../connect.ts';
import { UsageError } from '../errors.ts';
import { writeJson, writeLine } from '../output.ts';

export const publish = defineCommand({
  name: 'publish',
  summary: 'publish a message into a queue a function consumes',
  params: ['QUEUE'],
  description: `
Publishes one message into QUEUE, the queue of a function's triggers.queue in fn.json, on
either broker; the function's queue(batch, env, ctx) gets it in a batch. The body is --data,
else stdin. --content-type says what it is (default application/json, checked to be JSON):
JSON arrives parsed, text/* as a string, anything else as an ArrayBuffer.

Prints the message id once the broker holds it durably; --json prints {"id", "queue"}.
To publish from anything that speaks AMQP, publish into the queue directly.`,
  options: {
    data: { type: 'string', placeholder: 'BODY', description: 'the message body' },
    'content-type': {
      type: 'string',
      placeholder: 'TYPE',
      description: "the body's media type (default application/json)",
    },
  },
  connects: true,
  async run({ values, positionals }, io) {
    const [queue = ''] = positionals;
    const contentType = values['content-type'] ?? 'application/json';
    const body = await readBody(values.data, io);
    if (/^application\/([^/;]+\+)?json\s*(;|$)/i.test(contentType)) {
      try {
        JSON.parse(Buffer.from(body).toString('utf8'));
      } catch (error) {
        throw new UsageError(
          `the message is not valid JSON (${(error as Error).message}); pass --content-type for other bodies`,
          'publish',
        );
      }
    }
    const published = await connect(values, io).publish(queue, body, contentType);
    if (values.json) return writeJson(io, published);
    writeLine(io.stdout, published.id);
    writeLine(io.stderr, `published into ${published.queue}`);
  },
});

async function readBody(data: string | undefined, io: Io): Promise<Uint8Array<ArrayBuffer>> {
  if (data !== undefined) return new TextEncoder().encode(data);
  if (io.stdin.isTTY) {
    throw new UsageError('give the message with --data, or pipe it into stdin', 'publish');
  }
  return new Uint8Array(await buffer(io.stdin));
}
