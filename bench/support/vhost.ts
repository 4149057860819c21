/**
 * A RabbitMQ vhost of its own for each Fjord stack a row starts: Fjord's queue names are fixed
 * per installation, so two stacks on one vhost would share queues (and take each other's
 * results). Created with rabbitmqctl, deleted with everything in it when the stack stops.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** rabbitmqctl lives in /usr/sbin, not on every PATH. */
const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', ['-q', ...args], { env: { ...process.env, PATH }, timeout: 120_000 });
}

export interface Vhost {
  /** amqp:// URL of the vhost. */
  url: string;
  /** Deletes the vhost and every queue in it. */
  remove(): Promise<void>;
}

/** A fresh vhost `fjord-bench-PURPOSE-RANDOM` on the broker of `baseUrl`, usable by its user. */
export async function createVhost(baseUrl: string, purpose: string): Promise<Vhost> {
  const name = `fjord-bench-${purpose}-${randomBytes(3).toString('hex')}`;
  const url = new URL(baseUrl);
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, url.username || 'guest', '.*', '.*', '.*');
  url.pathname = `/${encodeURIComponent(name)}`;
  return { url: url.toString(), remove: () => rabbitmqctl('delete_vhost', name) };
}
