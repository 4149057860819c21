/** The RabbitMQ the end-to-end tests use: started by scripts/ensure-rabbitmq.sh, never skipped. */
export const AMQP_URL = process.env.FN_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Same credentials and vhost, another port (for a proxy standing between a stack and RabbitMQ). */
export function amqpUrlOnPort(port: number): string {
  const url = new URL(AMQP_URL);
  url.port = String(port);
  url.hostname = '127.0.0.1';
  return url.toString();
}

export function amqpTarget(): { host: string; port: number } {
  const url = new URL(AMQP_URL);
  return { host: url.hostname, port: Number(url.port || 5672) };
}
