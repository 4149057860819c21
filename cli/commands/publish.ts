import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { MAX_PUBLISH_BATCH, NDJSON_TYPE } from '../../core/api.ts';
import { defineCommand, type Io } from '../command.ts';
import { connect } from '../connect.ts';
import { UsageError } from '../errors.ts';
import { writeJson, writeLine } from '../output.ts';

const JSON_TYPE = /^application\/([^/;]+\+)?json\s*(;|$)/i;
/** As HTTP allows in a header name (a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const publish = defineCommand({
  name: 'publish',
  summary: 'publish a message (or a batch) into a queue a function consumes',
  params: ['QUEUE?'],
  description: `
Publishes one message into QUEUE, the queue of a function's triggers.queue in fn.json, on
either broker; the function's queue(batch, env, ctx) gets it in a batch. The body is --data,
else --file, else stdin. --content-type says what it is (default application/json, checked to
be JSON): JSON arrives parsed, text/* as a string, anything else as an ArrayBuffer.
--header K=V (repeatable) sets a message header (msg.headers.K).

--exchange X (instead of QUEUE) publishes to exchange X, which a function's triggers.queue
binds, with --routing-key K (default empty): the message reaches every queue bound to X by a
matching key (topic patterns as RabbitMQ has them: * one word, # zero or more).

A batch: --file with a name ending in .ndjson, or --content-type ${NDJSON_TYPE}, publishes
each non-empty line as one JSON message, in order (at most ${MAX_PUBLISH_BATCH}); the headers
apply to every message. Every line is checked before the first is published.

Prints the message id (one per line for a batch) once the broker holds it durably; --json
prints {"id", "queue"} ({"ids", "queue"} for a batch; "exchange" and "routingKey" for an
exchange).
To publish from anything that speaks AMQP, publish into the queue directly.`,
  options: {
    exchange: {
      type: 'string',
      placeholder: 'NAME',
      description: 'publish to this exchange instead of a queue',
    },
    'routing-key': {
      type: 'string',
      placeholder: 'KEY',
      description: "the message's routing key (with --exchange)",
    },
    data: { type: 'string', placeholder: 'BODY', description: 'the message body' },
    file: {
      type: 'string',
      placeholder: 'PATH',
      description: 'read the body from PATH (*.ndjson: a batch, one message a line)',
    },
    'content-type': {
      type: 'string',
      placeholder: 'TYPE',
      description: "the body's media type (default application/json)",
    },
    header: {
      type: 'string',
      multiple: true,
      placeholder: 'K=V',
      description: 'a message header (repeatable)',
    },
  },
  connects: true,
  async run({ values, positionals }, io) {
    const [queue] = positionals;
    const { exchange, 'routing-key': routingKey } = values;
    if ((queue === undefined) === (exchange === undefined)) {
      throw new UsageError('give a QUEUE or --exchange NAME (one of them)', 'publish');
    }
    if (routingKey !== undefined && exchange === undefined) {
      throw new UsageError('--routing-key goes with --exchange', 'publish');
    }
    if (values.data !== undefined && values.file !== undefined) {
      throw new UsageError('give the message with --data or --file, not both', 'publish');
    }
    const batchFile = values.file?.toLowerCase().endsWith('.ndjson') === true;
    const contentType = values['content-type'] ?? (batchFile ? NDJSON_TYPE : 'application/json');
    const headers = parseHeaders(values.header ?? []);
    const body = await readBody(values.data, values.file, io);
    if (contentType.toLowerCase().startsWith(NDJSON_TYPE)) checkBatch(body);
    else if (JSON_TYPE.test(contentType)) checkJson(body, 'the message');
    const client = connect(values, io);
    const published =
      exchange === undefined
        ? await client.publish(queue ?? '', body, contentType, headers)
        : await client.publishToExchange(exchange, routingKey ?? '', body, contentType, headers);
    if (values.json) return writeJson(io, published);
    const ids = 'ids' in published ? published.ids : [published.id];
    for (const id of ids) writeLine(io.stdout, id);
    const what = ids.length === 1 ? '1 message' : `${ids.length} messages`;
    const where =
      'queue' in published
        ? `into ${published.queue}`
        : `to exchange ${published.exchange} (routing key "${published.routingKey}")`;
    writeLine(io.stderr, `published ${what} ${where}`);
  },
});

function parseHeaders(pairs: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const name = at < 0 ? '' : pair.slice(0, at).trim();
    if (!HEADER_NAME.test(name)) {
      throw new UsageError(`--header wants NAME=VALUE with a plain name, got "${pair}"`, 'publish');
    }
    headers[name.toLowerCase()] = pair.slice(at + 1);
  }
  return headers;
}

function checkJson(text: Uint8Array | string, what: string): void {
  try {
    JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  } catch (error) {
    throw new UsageError(
      `${what} is not valid JSON (${(error as Error).message}); pass --content-type for other bodies`,
      'publish',
    );
  }
}

/** Checks a batch as the gateway will, so a bad line fails here with its number. */
function checkBatch(body: Uint8Array): void {
  const lines = Buffer.from(body).toString('utf8').split('\n');
  let count = 0;
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    checkJson(line, `line ${index + 1}`);
    count += 1;
  }
  if (count === 0) throw new UsageError('the batch has no messages (one JSON a line)', 'publish');
  if (count > MAX_PUBLISH_BATCH) {
    throw new UsageError(
      `a batch may carry at most ${MAX_PUBLISH_BATCH} messages; this one has ${count}`,
      'publish',
    );
  }
}

async function readBody(
  data: string | undefined,
  file: string | undefined,
  io: Io,
): Promise<Uint8Array<ArrayBuffer>> {
  if (data !== undefined) return new TextEncoder().encode(data);
  if (file !== undefined) {
    try {
      return new Uint8Array(await readFile(resolve(io.cwd, file)));
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as Error).message}`, 'publish');
    }
  }
  if (io.stdin.isTTY) {
    throw new UsageError(
      'give the message with --data or --file, or pipe it into stdin',
      'publish',
    );
  }
  return new Uint8Array(await buffer(io.stdin));
}
