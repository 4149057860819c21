/**
 * The RabbitMQ the end-to-end tests use: started by scripts/ensure-rabbitmq.sh, never skipped.
 *
 * Every stack under test gets a virtual host of its own. Fjord's queue names are fixed per
 * installation (one results queue shared by that installation's gateways), so two installations
 * on one vhost would take each other's results: exactly what a vhost per installation prevents,
 * in tests as in production.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';

export const AMQP_URL = process.env.FN_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

function rabbitmqctl(...args: string[]): void {
  try {
    execFileSync('rabbitmqctl', ['-q', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 180_000,
    });
  } catch (error) {
    const what = `rabbitmqctl ${args.join(' ')} failed (run scripts/ensure-rabbitmq.sh)`;
    throw new Error(what, { cause: error });
  }
}

/**
 * Creates a fresh vhost the `guest` user may use, deleted (with everything in it) when the test
 * file ends, and returns its amqp:// URL.
 */
export function testVhost(): string {
  const vhost = `fjord-test-${randomBytes(4).toString('hex')}`;
  rabbitmqctl('add_vhost', vhost);
  rabbitmqctl(
    'set_permissions',
    '-p',
    vhost,
    new URL(AMQP_URL).username || 'guest',
    '.*',
    '.*',
    '.*',
  );
  after(() => rabbitmqctl('delete_vhost', vhost));
  const url = new URL(AMQP_URL);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return url.toString();
}

/** The same URL (credentials and vhost) on another port, for a proxy in front of RabbitMQ. */
export function amqpUrlOnPort(amqpUrl: string, port: number): string {
  const url = new URL(amqpUrl);
  url.port = String(port);
  url.hostname = '127.0.0.1';
  return url.toString();
}

export function amqpTarget(): { host: string; port: number } {
  const url = new URL(AMQP_URL);
  return { host: url.hostname, port: Number(url.port || 5672) };
}
