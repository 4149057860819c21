/**
 * Closed-loop HTTP load with autocannon's programmatic API: `connections` keep-alive clients, each
 * sending its next request when the previous one answered. Latencies are kept per response at
 * full precision: autocannon's own histogram rounds to whole milliseconds, too coarse for a
 * sub-millisecond p50.
 */
import autocannon from 'autocannon';
import type { LoadRunner } from './load-run.ts';

export interface HttpLoadOptions {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationS: number;
}

export interface HttpLoadResult {
  /** Latency of every 2xx response, in ms, in arrival order. */
  latenciesMs: number[];
  /** Responses by status code. */
  statuses: Record<number, number>;
  errors: number;
  timeouts: number;
  /** Seconds the load actually ran. */
  durationS: number;
}

export function httpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const latenciesMs: number[] = [];
  const statuses: Record<number, number> = {};
  const { promise, resolve, reject } = Promise.withResolvers<HttpLoadResult>();
  const instance = autocannon(
    {
      url: options.url,
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      connections: options.connections,
      duration: options.durationS,
      pipelining: 1,
      timeout: 30,
    },
    (error, result) => {
      if (error) return reject(error);
      resolve({
        latenciesMs,
        statuses,
        errors: result.errors,
        timeouts: result.timeouts,
        durationS: result.duration,
      });
    },
  );
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) latenciesMs.push(ms);
  });
  return promise;
}

/** A latency target that is an HTTP URL (GET, closed loop). */
export function httpRunner(url: string): LoadRunner {
  return async (connections, durationS) => {
    const run = await httpLoad({ url, connections, durationS });
    const answered = Object.values(run.statuses).reduce((a, b) => a + b, 0);
    const failed = answered - run.latenciesMs.length + run.errors;
    return { latenciesMs: run.latenciesMs, durationS: run.durationS, errors: failed };
  };
}
