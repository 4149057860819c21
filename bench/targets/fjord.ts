/**
 * Fjord as users run it: `fn up` as a real process (gateway and one runtime node), on the embedded
 * broker or on RabbitMQ, with the benchmark functions deployed over the control API.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunction } from '../../cli/bundle/bundle-function.ts';
import { startReady, type Children, type ReadyChild } from '../support/child.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FN_BIN = join(REPO, 'bin/fn.ts');
/** The benchmark's own functions (bench/functions/NAME). */
export const BENCH_FUNCTIONS = join(REPO, 'bench/functions');

export interface FjordOptions {
  /** RabbitMQ URL; the embedded broker when absent. */
  broker?: string;
  /** Data dir of this stack (store, embedded broker, credentials). */
  dataDir: string;
  logFile: string;
  children: Children;
  /** When set, the process runs with --cpu-prof and writes its profile here on exit. */
  profileDir?: string;
}

export interface FjordStack {
  url: string;
  token: string;
  /** Deploys bench/functions/`folder` as function `name`, with manifest fields overridden. */
  deploy(folder: string, name: string, manifest?: Record<string, unknown>): Promise<void>;
  /** Invocations of `name` the gateway has recorded as finished with `status`. */
  finished(name: string, status?: 'succeeded' | 'failed'): Promise<number>;
  /** SIGTERM: drains, stops and (when profiling) writes the CPU profile. */
  stop(): Promise<void>;
}

interface Ready {
  event: 'ready';
  url: string;
  credentials: string;
}

export async function startFjord(options: FjordOptions): Promise<FjordStack> {
  const nodeFlags = options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, '--cpu-prof-name=fn-up.cpuprofile']
    : [];
  const args = [...nodeFlags, FN_BIN, 'up', '--json', '--port', '0', '--no-examples'];
  args.push('--data-dir', options.dataDir);
  if (options.broker !== undefined) args.push('--broker', options.broker);
  // FN_* of the person running the benchmark must not leak into the stack.
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('FN_')),
  );
  const server: ReadyChild<Ready> = await startReady<Ready>(process.execPath, args, {
    cwd: REPO,
    env,
    logFile: options.logFile,
    children: options.children,
  });
  const credentials = JSON.parse(await readFile(server.ready.credentials, 'utf8')) as {
    token: string;
  };
  const url = server.ready.url.replace(/\/+$/, '');
  const auth = { authorization: `Bearer ${credentials.token}` };

  return {
    url,
    token: credentials.token,
    async deploy(folder, name, manifest = {}) {
      const bundle = await bundleFunction(join(BENCH_FUNCTIONS, folder), { typecheck: false });
      const response = await fetch(`${url}/v1/functions/${name}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          manifest: { ...bundle.manifest, name, ...manifest },
          bundle: bundle.code,
        }),
      });
      if (!response.ok) {
        throw new Error(`deploy of ${name} answered ${response.status}: ${await response.text()}`);
      }
    },
    async finished(name, status = 'succeeded') {
      const response = await fetch(`${url}/metrics`, { headers: auth });
      const text = await response.text();
      if (!response.ok) throw new Error(`GET /metrics answered ${response.status}: ${text}`);
      return finishedCount(text, name, status);
    },
    stop: () => server.stop('SIGTERM'),
  };
}

/** Reads fjord_invocations_total{function=NAME,status=STATUS} from Prometheus text. */
export function finishedCount(metrics: string, name: string, status: string): number {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('fjord_invocations_total{')) continue;
    if (!line.includes(`function="${name}"`) || !line.includes(`status="${status}"`)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
