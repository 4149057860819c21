/**
 * The local RabbitMQ's `rabbitmqctl` (scripts/ensure-rabbitmq.sh), run without blocking the
 * test's event loop: a test that waits on a synchronous call could miss its own timers and
 * keep-alives (see f18121c).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Runs rabbitmqctl (through sudo when not root; it needs the server's Erlang cookie). */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const root = process.getuid?.() === 0;
  const [file, argv] = root ? ['rabbitmqctl', args] : ['sudo', ['-n', 'rabbitmqctl', ...args]];
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
  try {
    const { stdout } = await promisify(execFile)(file, argv, { env, timeout: 30_000 });
    return stdout;
  } catch (error) {
    const what = `rabbitmqctl ${args.join(' ')} failed (run scripts/ensure-rabbitmq.sh first)`;
    throw new Error(`${what}: ${String(error)}`, { cause: error });
  }
}

/** Closes, from the server side, the one connection that carries `connectionName`. */
export async function killConnection(connectionName: string): Promise<void> {
  const rows = await rabbitmqctl('list_connections', 'pid', 'client_properties', '-q', '-s');
  const row = rows.split('\n').find((r) => r.includes(`{"connection_name","${connectionName}"}`));
  const pid = row?.split('\t')[0];
  if (pid === undefined) throw new Error(`no connection named ${connectionName}`);
  await rabbitmqctl('close_connection', pid, 'fjord test: a connection lost');
}
