/**
 * workerd (Cloudflare's isolate runtime, npm `workerd`, installed into bench/.deps by
 * scripts/ensure-bench-deps.sh) serving the same fetch handler as Fjord:
 * bench/functions/bench-fetch bundled to an ES module beside a copy of bench.capnp. Its start
 * (spawn until the first 200) is the process-level cold start anchor.
 */
import { once } from 'node:events';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launch, tail, type Children } from '../support/child.ts';
import { freePort } from '../support/free-port.ts';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const WORKERD = fileURLToPath(
  new URL('../.deps/node_modules/workerd/bin/workerd', import.meta.url),
);
const HANDLER = fileURLToPath(new URL('../functions/bench-fetch/index.ts', import.meta.url));

export interface WorkerdServer {
  url: string;
  /** ms from spawn until the first successful response. */
  startMs: number;
  stop(): Promise<void>;
}

/** Writes worker.js and bench.capnp into `workDir`. */
export async function prepareWorkerd(workDir: string): Promise<void> {
  mkdirSync(workDir, { recursive: true });
  await build({
    entryPoints: [HANDLER],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile: join(workDir, 'worker.js'),
    logLevel: 'silent',
  });
  copyFileSync(join(HERE, 'workerd/bench.capnp'), join(workDir, 'bench.capnp'));
}

/** Starts workerd on a free port and waits until it answers. */
export async function startWorkerd(
  workDir: string,
  logFile: string,
  children: Children,
): Promise<WorkerdServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = launch(
    WORKERD,
    ['serve', join(workDir, 'bench.capnp'), '--socket-addr', `http=127.0.0.1:${port}`],
    { logFile, children },
    false,
  );
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = started + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited\n${tail(logFile)}`);
    try {
      const response = await fetch(`${url}/?n=0`);
      await response.arrayBuffer();
      if (response.ok) return { url, startMs: performance.now() - started, stop };
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`workerd did not answer within 30 s\n${tail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
