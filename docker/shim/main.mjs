// The in-container shim: one long-lived Node process per warm container. It serves HTTP on a unix
// socket in a host-mounted directory (the root filesystem is read-only) and loads the function
// bundle once, then runs invocations, several at once when the host sends them concurrently.
//
// Protocol (JSON bodies; the host side is runtime/container/shim-protocol.ts):
//   POST /load    { code, filename, moduleGlobal, env, maxResponseBytes, logLimitBytes }
//              -> { ok: true, shape, logs } | { ok: false, error, logs }
//   POST /invoke  { payload: { kind: 'http', request } | { kind: 'event', data }, ctx }
//              -> { ok: true, response?, json?, logs } | { ok: false, error, logs }
//   GET  /health  -> { ok: true, loaded, rss }
//
// The socket is created under a temporary name and renamed once it accepts connections, so its
// appearance under the final name is the readiness signal the host waits for.
import { rmSync, renameSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { dispatchEvent, dispatchHttp } from './dispatch.mjs';
import { loadBundle } from './function-module.mjs';
import { LogBuffer, captureConsole } from './log-capture.mjs';
import { installNonRetryableError } from './non-retryable-error.mjs';
import { errorReply } from './replies.mjs';
import { mapReplyStack } from './stack-map.mts';

// Not an `import` of node:http: its ES module view reads every export, and one of them loads
// fetch (undici), which only fetch handlers need (at their first Request): 60 ms of CPU on
// every cold start of an event or queue function.
const { createServer } = process.getBuiltinModule('node:http');

const SOCKET = process.env.FJORD_SOCKET ?? '/run/fjord/shim.sock';
const APP_DIR = process.env.FJORD_APP_DIR ?? '/app';
const capture = captureConsole();
installNonRetryableError();
/** @type {import('./dispatch.mjs').Loaded & { logLimitBytes: number, filename: string, sourceMap?: import('./stack-map.mts').BundleSourceMap } | undefined} */
let loaded;

async function readJson(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function load(body) {
  if (loaded !== undefined) return errorReply('BAD_REQUEST', 'the function is already loaded');
  const logs = new LogBuffer(body.logLimitBytes);
  // Configured variables are the function's env argument and, as Node code expects, process.env.
  const env = Object.freeze({ ...body.env });
  Object.assign(process.env, env);
  const result = capture.run(logs, () =>
    loadBundle({
      code: body.code,
      filename: body.filename,
      moduleGlobal: body.moduleGlobal,
      appDir: APP_DIR,
    }),
  );
  if (!result.ok) return { ...result, logs: logs.entries };
  loaded = {
    shape: result.shape,
    main: result.main,
    env,
    maxResponseBytes: body.maxResponseBytes,
    logLimitBytes: body.logLimitBytes,
    filename: body.filename,
    sourceMap: result.sourceMap,
  };
  // A fetch handler's first invocation builds a Request: fetch (undici) is loaded now, so that a
  // prewarmed container does not load it in its first invocation.
  if (typeof result.main.fetch === 'function') void globalThis.Request;
  return { ok: true, shape: result.shape, logs: logs.entries };
}

async function invoke(body) {
  if (loaded === undefined) return errorReply('BAD_REQUEST', 'no function is loaded');
  const current = loaded;
  const logs = new LogBuffer(current.logLimitBytes);
  const { payload, ctx } = body;
  const reply = await capture.run(logs, () =>
    payload.kind === 'http'
      ? dispatchHttp(current, payload.request, ctx, logs.console())
      : dispatchEvent(current, payload.data, ctx, logs.console()),
  );
  return { ...mapReplyStack(reply, current.sourceMap, current.filename), logs: logs.entries };
}

const server = createServer(async (request, response) => {
  try {
    if (request.method === 'POST' && request.url === '/invoke') {
      return send(response, 200, await invoke(await readJson(request)));
    }
    if (request.method === 'POST' && request.url === '/load') {
      return send(response, 200, load(await readJson(request)));
    }
    if (request.method === 'GET' && request.url === '/health') {
      return send(response, 200, {
        ok: true,
        loaded: loaded !== undefined,
        rss: process.memoryUsage.rss(),
      });
    }
    send(response, 404, errorReply('BAD_REQUEST', `no route ${request.method} ${request.url}`));
  } catch (error) {
    send(response, 500, errorReply('INTERNAL', `shim failure: ${String(error)}`));
  }
});
// The host keeps one connection per container open, and invocations may run up to 15 minutes.
server.keepAliveTimeout = 0;
server.requestTimeout = 0;

const staging = `${SOCKET}.starting`;
rmSync(staging, { force: true });
rmSync(SOCKET, { force: true });
// The socket directory is private to this container; the socket itself must be connectable by
// the host whichever user it runs as.
process.umask(0o000);
server.listen(staging, () => {
  renameSync(staging, SOCKET);
  // The base image build runs the shim once like this to write Node's compile cache of it
  // (docker/base/build-offline.sh), then stops it.
  if (process.argv.includes('--warm-compile-cache')) {
    flushCompileCache();
    process.exit(0);
  }
});
process.on('SIGTERM', () => process.exit(0));
