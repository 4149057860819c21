/**
 * Fjord as users run it: `fn up` as a real process (gateway and one runtime node), on the embedded
 * broker or on RabbitMQ, with the benchmark functions deployed over the control API.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReady, type Children, type ReadyChild } from '../support/child.ts';
import { fjordApi, type FjordApi } from './fjord-api.ts';

export { BENCH_FUNCTIONS } from './fjord-api.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const FN_BIN = join(REPO, 'bin/fn.ts');

export interface FjordOptions {
  /** RabbitMQ URL; the embedded broker when absent. */
  broker?: string;
  /** Data dir of this stack (store, embedded broker, credentials). */
  dataDir: string;
  logFile: string;
  children: Children;
  /** When set, the process runs with --cpu-prof and writes its profile here on exit. */
  profileDir?: string;
  /** `--isolate-host inline`: isolates in the fn up process, without the host processes' IPC. */
  inlineIsolates?: boolean;
}

export interface FjordStack extends FjordApi {
  /** The `fn up` process. */
  pids(): number[];
  /** SIGTERM: drains, stops and (when profiling) writes the CPU profile. */
  stop(): Promise<void>;
}

interface Ready {
  event: 'ready';
  url: string;
  credentials: string;
}

/** The environment of a Fjord process: FN_* of the person running the benchmark must not leak. */
export function fjordEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FN_'))),
    ...extra,
  };
}

/** Reads the admin token `fn up` / `fn gateway` wrote. */
export async function adminToken(credentials: string): Promise<string> {
  return (JSON.parse(await readFile(credentials, 'utf8')) as { token: string }).token;
}

export async function startFjord(options: FjordOptions): Promise<FjordStack> {
  const nodeFlags = options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, '--cpu-prof-name=fn-up.cpuprofile']
    : [];
  const args = [...nodeFlags, FN_BIN, 'up', '--json', '--port', '0', '--no-examples'];
  args.push('--data-dir', options.dataDir);
  if (options.broker !== undefined) args.push('--broker', options.broker);
  if (options.inlineIsolates === true) args.push('--isolate-host', 'inline');
  const server: ReadyChild<Ready> = await startReady<Ready>(process.execPath, args, {
    cwd: REPO,
    env: fjordEnv(),
    logFile: options.logFile,
    children: options.children,
  });
  const url = server.ready.url.replace(/\/+$/, '');
  return {
    ...fjordApi(url, await adminToken(server.ready.credentials)),
    pids: () => [server.child.pid ?? NaN],
    stop: () => server.stop('SIGTERM'),
  };
}
