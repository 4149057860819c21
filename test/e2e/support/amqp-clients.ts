/**
 * Publishers that are not ours, for queue-trigger tests: Debian's amqp-tools (`amqp-publish`)
 * and python3-pika, installed by scripts/ensure-amqp-clients.sh.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AmqpPublish {
  url: string;
  exchange?: string;
  routingKey: string;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One persistent message through `amqp-publish`. */
export async function amqpPublish(message: AmqpPublish): Promise<void> {
  const args = ['--url', message.url, '--persistent', '--routing-key', message.routingKey];
  if (message.exchange !== undefined) args.push('--exchange', message.exchange);
  if (message.contentType !== undefined) args.push('--content-type', message.contentType);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    args.push('--header', `${name}: ${value}`);
  }
  args.push('--body', message.body);
  await run('amqp-publish', args, { timeout: 30_000 });
}

export interface PikaMessage {
  routingKey: string;
  exchange?: string;
  /** Sent as UTF-8. */
  body: string;
  contentType?: string;
  messageId?: string;
  headers?: Record<string, string | number>;
}

const PIKA_SCRIPT = `
import json, sys, pika
spec = json.load(sys.stdin)
connection = pika.BlockingConnection(pika.URLParameters(spec["url"]))
channel = connection.channel()
channel.confirm_delivery()
for m in spec["messages"]:
    channel.basic_publish(
        exchange=m.get("exchange", ""),
        routing_key=m["routingKey"],
        body=m["body"].encode("utf-8"),
        properties=pika.BasicProperties(
            delivery_mode=2,
            content_type=m.get("contentType"),
            message_id=m.get("messageId"),
            headers=m.get("headers"),
        ),
        mandatory=True,
    )
connection.close()
`;

/** Publishes `messages` in order on one pika connection with publisher confirms. */
export async function pikaPublish(url: string, messages: PikaMessage[]): Promise<void> {
  const child = run('/usr/bin/python3', ['-c', PIKA_SCRIPT], { timeout: 30_000 });
  child.child.stdin?.end(JSON.stringify({ url, messages }));
  await child;
}
