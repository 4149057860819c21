/** The control API of a running Fjord gateway, as the benchmark rows use it. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunction, type FunctionBundle } from '../../cli/bundle/bundle-function.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The benchmark's own functions (bench/functions/NAME). */
export const BENCH_FUNCTIONS = join(REPO, 'bench/functions');

export interface FjordApi {
  url: string;
  token: string;
  /** Deploys bench/functions/`folder` as function `name`, with manifest fields overridden. */
  deploy(folder: string, name: string, manifest?: Record<string, unknown>): Promise<void>;
  /** Invocations of `name` the gateway has recorded as finished with `status`. */
  finished(name: string, status?: 'succeeded' | 'failed'): Promise<number>;
  /** Both counts of {@link finished}, from one scrape of /metrics. */
  outcomes(name: string): Promise<{ succeeded: number; failed: number }>;
  /**
   * GET /fn/NAME/?n=1 until it answers 2xx: a function deployed a moment ago may time out (504)
   * or find no capacity (503) while the node is still picking it up on a busy machine. Throws
   * on any other status, or after a minute.
   */
  call(name: string): Promise<void>;
}

/** A client of the gateway at `url`; each folder is bundled once, however often it is deployed. */
export function fjordApi(url: string, token: string): FjordApi {
  const auth = { authorization: `Bearer ${token}` };
  const bundles = new Map<string, Promise<FunctionBundle>>();
  const metrics = async (): Promise<string> => {
    const response = await fetch(`${url}/metrics`, { headers: auth });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET /metrics answered ${response.status}: ${text}`);
    return text;
  };
  const bundle = (folder: string): Promise<FunctionBundle> => {
    let bundled = bundles.get(folder);
    if (bundled === undefined) {
      bundled = bundleFunction(join(BENCH_FUNCTIONS, folder), { typecheck: false });
      bundles.set(folder, bundled);
    }
    return bundled;
  };
  return {
    url,
    token,
    async deploy(folder, name, manifest = {}) {
      const { manifest: base, code } = await bundle(folder);
      const response = await fetch(`${url}/v1/functions/${name}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ manifest: { ...base, name, ...manifest }, bundle: code }),
      });
      if (!response.ok) {
        throw new Error(`deploy of ${name} answered ${response.status}: ${await response.text()}`);
      }
    },
    async finished(name, status = 'succeeded') {
      return finishedCount(await metrics(), name, status);
    },
    async outcomes(name) {
      const text = await metrics();
      return {
        succeeded: finishedCount(text, name, 'succeeded'),
        failed: finishedCount(text, name, 'failed'),
      };
    },
    async call(name) {
      const deadline = performance.now() + 60_000;
      for (;;) {
        const response = await fetch(`${url}/fn/${name}/?n=1`);
        const text = await response.text();
        if (response.ok) return;
        const retry = response.status === 503 || response.status === 504;
        if (!retry || performance.now() > deadline) {
          throw new Error(`GET /fn/${name}/ answered ${response.status}: ${text}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
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

/** Runs `task` for each item, at most `limit` at a time. */
export async function bounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
