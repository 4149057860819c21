/**
 * `fn up` of one checkout on a RabbitMQ vhost of its own, for the A/B probes in this folder
 * (sync-trace.ts, async-trace.ts): the checkout's own bench/targets/fjord.ts starts it, so each
 * tree runs its own code. The vhost (fjord-probe-LABEL-*) is deleted when the stack stops.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Children } from '../support/child.ts';

/** What the probes use of bench/targets/fjord.ts's stack, in whichever checkout it comes from. */
export interface ProbeStack {
  url: string;
  token: string;
  pids(): number[];
  deploy(folder: string, name: string): Promise<void>;
  call(name: string): Promise<void>;
  finished(name: string, status?: string): Promise<number>;
  stop(): Promise<void>;
}
type StartFjord = (options: Record<string, unknown>) => Promise<ProbeStack>;

export interface ProbeStackOptions {
  /** The checkout to run. */
  root: string;
  label: string;
  /** The broker's URL; the stack gets a vhost of its own on it. */
  amqpUrl: string;
  children: Children;
  /** More options for startFjord (e.g. inlineIsolates). */
  fjord?: Record<string, unknown>;
}

function rabbitmqctl(...args: string[]): void {
  execFileSync('rabbitmqctl', ['-q', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function startProbeStack(options: ProbeStackOptions): Promise<ProbeStack> {
  const { root, label } = options;
  const { startFjord } = (await import(join(root, 'bench/targets/fjord.ts'))) as {
    startFjord: StartFjord;
  };
  const vhost = `fjord-probe-${label}-${randomBytes(3).toString('hex')}`;
  rabbitmqctl('add_vhost', vhost);
  rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
  const broker = new URL(options.amqpUrl);
  broker.pathname = `/${encodeURIComponent(vhost)}`;
  const dataDir = mkdtempSync(join(tmpdir(), `fjord-probe-${label}-`));
  const stack = await startFjord({
    dataDir,
    logFile: join(dataDir, 'fn-up.log'),
    children: options.children,
    broker: broker.toString(),
    ...options.fjord,
  });
  const stop = stack.stop.bind(stack);
  stack.stop = async () => {
    await stop();
    rabbitmqctl('delete_vhost', vhost);
  };
  console.log(`${label}: ${root}, ${stack.url}, log ${dataDir}/fn-up.log`);
  return stack;
}
