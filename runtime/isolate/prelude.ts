/**
 * The prelude: bundled from ./prelude with esbuild once per executor, then brought into every new
 * isolate. Two ways, same result:
 * - `snapshot` (default): a V8 heap snapshot taken after running the prelude once, so a new
 *   isolate starts with the Web APIs already installed (a cold start of a few ms instead of ~15).
 *   isolated-vm calls snapshots experimental, so a failed snapshot falls back to `script`.
 * - `script`: the prelude is compiled into each isolate with a V8 code cache produced from the
 *   first compile in this process, then run.
 * Either way only host-built code goes in; no code cache or snapshot is taken from outside.
 */
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import ivm from 'isolated-vm';
import { MODULE_GLOBAL } from '../../core/api.ts';
import type { Logger } from '../../core/logger.ts';
import { INSTALL_GLOBAL } from './protocol.ts';

const ENTRY = fileURLToPath(new URL('./prelude/index.ts', import.meta.url));
const FILENAME = 'fjord:prelude.js';
/**
 * The invocation path, compiled into the snapshot: install with stub host functions, load a
 * module and dispatch a request, an event and a log line through it, so a new isolate's first
 * invocations start from bytecode instead of compiling the runtime lazily (about 2 ms of a
 * cold start). V8 runs the warm-up in a throwaway context: only the compiled code is kept.
 */
function warmDispatch(): string {
  const wire = `1, 'w', 'w', 1, 0`;
  return `{
    const stub = () => {};
    const runtime = globalThis.${INSTALL_GLOBAL}((n) => new Uint8Array(n), stub, stub, stub, stub,
      { logLimitBytes: 1024, maxResponseBytes: 1024, maxTimers: 8 });
    globalThis.${MODULE_GLOBAL} = { default: {
      fetch: (request, env, ctx) => {
        ctx.log.info('warm', new URL(request.url).searchParams.get('n'));
        return new Response(JSON.stringify({ warm: true }), { headers: { 'content-type': 'application/json' } });
      },
    } };
    runtime.load({});
    runtime.begin(1);
    runtime.dispatchHttp({ method: 'GET', url: 'http://warm.local/?n=1', parsed: true, headers: [['x-warm', '1']], body: null }, ${wire});
    globalThis.${MODULE_GLOBAL} = { default: (event) => ({ event }) };
    runtime.load({});
    runtime.dispatchEvent('{"warm":true}', ${wire});
  }`;
}

/** Exercised while taking the snapshot so the hot paths are compiled inside it. */
const WARMUP = `
  new URL('https://example.com/a?b=1#c').searchParams.get('b');
  new URLSearchParams('a=1&b=2').toString();
  new TextDecoder().decode(new TextEncoder().encode('warm'));
  new Headers({ 'content-type': 'text/plain' }).get('content-type');
  new Request('https://example.com/', { method: 'POST', body: 'warm' }).headers.has('x');
  new Response('warm', { status: 201, headers: [['x-warm', '1']] }).headers.get('x-warm');
  ${warmDispatch()}
`;

/**
 * A request's path through the Web APIs, run once in a blank isolate's context (an IIFE: it
 * declares no global). The first run of code in a new context pays for its feedback vectors and
 * inline caches, about 1 ms that would otherwise land on the first request.
 */
const CONTEXT_WARMUP = `(() => {
  const request = new Request('http://warm.local/a?n=1', { method: 'GET', headers: [['x-warm', '1']], body: null });
  const url = new URL(request.url);
  const text = JSON.stringify({ path: url.pathname, n: url.searchParams.get('n') });
  const response = new Response(text, { headers: { 'content-type': 'application/json' } });
  [...response.headers];
  void response.readAll(1024).then((bytes) => new TextDecoder().decode(bytes));
})()`;

export type PreludeMode = 'snapshot' | 'script';

/**
 * core-js's URL parser splits every URL (and host) into code points with its own `Array.from`,
 * which defines each element with Object.defineProperty: about 80 us per `new URL` of a short
 * URL, twice per warm invocation of a typical fetch handler (the Request, then the handler's own
 * `new URL(request.url)`). V8's native Array.from gives the same array; it is captured when the
 * prelude runs, before any user code could replace it.
 */
const nativeArrayFrom: Plugin = {
  name: 'native-array-from',
  setup(build) {
    build.onResolve({ filter: /\/internals\/array-from$/ }, (args) =>
      args.importer.includes('/core-js/')
        ? { path: 'native-array-from', namespace: 'fjord-prelude' }
        : undefined,
    );
    build.onLoad({ filter: /^native-array-from$/, namespace: 'fjord-prelude' }, () => ({
      contents: 'module.exports = Array.from;',
      loader: 'js',
    }));
  },
};

/** Bundles the prelude sources into one classic script. */
export async function bundlePrelude(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    platform: 'neutral',
    // core-js and fast-text-encoding publish CommonJS under "main" only.
    mainFields: ['main', 'module'],
    format: 'iife',
    target: 'es2022',
    minify: true,
    // Users may read constructor names (`response.constructor.name`); keep them honest.
    keepNames: true,
    banner: { js: '"use strict";' },
    logLevel: 'silent',
    plugins: [nativeArrayFrom],
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no prelude output');
  return file.text;
}

export class Prelude {
  readonly source: string;
  readonly mode: PreludeMode;
  readonly #snapshot: ivm.ExternalCopy<ArrayBuffer> | undefined;
  #cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;

  private constructor(source: string, snapshot: ivm.ExternalCopy<ArrayBuffer> | undefined) {
    this.source = source;
    this.#snapshot = snapshot;
    this.mode = snapshot === undefined ? 'script' : 'snapshot';
  }

  static async build(mode: PreludeMode, logger?: Logger): Promise<Prelude> {
    const source = await bundlePrelude();
    if (mode === 'script') return new Prelude(source, undefined);
    try {
      const snapshot = ivm.Isolate.createSnapshot([{ code: source, filename: FILENAME }], WARMUP);
      return new Prelude(source, snapshot);
    } catch (error) {
      logger?.warn({ err: error }, 'prelude snapshot failed; compiling the prelude per isolate');
      return new Prelude(source, undefined);
    }
  }

  /** A new isolate; in snapshot mode its contexts start with the prelude installed. */
  createIsolate(options: ivm.IsolateOptions): ivm.Isolate {
    return new ivm.Isolate(
      this.#snapshot === undefined ? options : { ...options, snapshot: this.#snapshot },
    );
  }

  /** Makes the prelude's globals exist in `context` (a no-op for snapshot isolates). */
  async install(isolate: ivm.Isolate, context: ivm.Context): Promise<void> {
    if (this.#snapshot !== undefined) return;
    const script = await this.#compile(isolate);
    await script.run(context, { release: true });
  }

  /** Runs {@link CONTEXT_WARMUP} in `context`, which has the prelude; leaves only garbage. */
  async warm(context: ivm.Context): Promise<void> {
    await context.eval(CONTEXT_WARMUP);
  }

  async #compile(isolate: ivm.Isolate): Promise<ivm.Script> {
    if (this.#cachedData !== undefined) {
      const script = await isolate.compileScript(this.source, {
        filename: FILENAME,
        cachedData: this.#cachedData,
      });
      if ((script as ivm.Script & { cachedDataRejected?: boolean }).cachedDataRejected !== true) {
        return script;
      }
    }
    const script = await isolate.compileScript(this.source, {
      filename: FILENAME,
      produceCachedData: true,
    });
    this.#cachedData = (script as ivm.Script & ivm.CachedDataResult).cachedData;
    return script;
  }
}
