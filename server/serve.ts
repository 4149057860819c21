import { once } from 'node:events';
import { join } from 'node:path';
import { displayPath } from '../cli/bundle/paths.ts';
import type { Io } from '../cli/command.ts';
import { CliError } from '../cli/errors.ts';
import { lockDataDir, type InstanceLock } from '../cli/instance-lock.ts';
import { writeJson, writeLine } from '../cli/output.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import type { AdmissionOptions } from '../gateway/admission.ts';
import type { IsolateHostMode } from './open-adapters.ts';
import { listen } from './listen.ts';
import { loadSecretsCipher } from './secrets-key.ts';
import { startStack, type Stack } from './stack.ts';

/** What `fn up`, `fn gateway` or `fn node` asked for. */
export interface ServeRequest {
  kind: 'up' | 'gateway' | 'node';
  dataDir: string;
  host: string;
  port: number;
  broker?: string;
  store?: string;
  gateway?: string;
  token?: string;
  /** Booted isolates kept idle per active function version (the agent's default when absent). */
  prewarm?: number;
  /** Function versions that keep idle isolates (the executor's default when absent). */
  prewarmBudget?: number;
  /** Blank isolates per isolate executor (the executor's default when absent). */
  blankIsolates?: number;
  /** Where isolates run: child processes (default) or this process. */
  isolateHost?: IsolateHostMode;
  /** --secrets-key-file; wins over `secretsKey`. */
  secretsKeyFile?: string;
  /** FN_SECRETS_KEY: the key itself, base64. */
  secretsKey?: string;
  /** Rate limits and the queue-length cap of the gateway (all off when absent). */
  admissionLimits?: AdmissionOptions;
  /** How long the gateway believes a verified token (its default when absent). */
  tokenCacheMs?: number;
  examples: boolean;
  json: boolean;
  /** fn node --exit-when-drained: stop (exit 0) once a `fn node drain` finished. */
  exitWhenDrained?: boolean;
}

/**
 * Starts the parts `request.kind` names, announces them on stdout (a banner, or one JSON line),
 * runs until the first SIGINT/SIGTERM (or a finished drain, with --exit-when-drained), then
 * stops gracefully. Logs go to stderr.
 */
export async function runServer(request: ServeRequest, io: Io): Promise<void> {
  const logger = createLogger({ destination: io.stderr });
  // fn node keeps nothing in the data dir; the others own it (store, broker, credentials).
  const lock =
    request.kind === 'node' ? undefined : lockDataDir(request.dataDir, request.kind, io.cwd);
  const release = (): void => lock?.release();
  // A second Ctrl-C exits at once, without the graceful stop below.
  process.once('exit', release);
  try {
    await serveLocked(request, io, logger, lock);
  } finally {
    process.off('exit', release);
    release();
  }
}

async function serveLocked(
  request: ServeRequest,
  io: Io,
  logger: Logger,
  lock: InstanceLock | undefined,
): Promise<void> {
  // Aborted when a drain finished and the node was asked to exit then (--exit-when-drained).
  const drained = new AbortController();
  let stack: Stack;
  try {
    // Before anything is opened or logged: a busy port is the usual reason a second one fails.
    if (request.kind !== 'node' && request.port !== 0) await probePort(request);
    const secretsCipher = await secretsCipherFor(request);
    stack = await startStack({
      dataDir: request.dataDir,
      broker: request.broker,
      store: request.store,
      host: request.host,
      port: request.port,
      parts: { gateway: request.kind !== 'node', node: request.kind !== 'gateway' },
      gateway: request.gateway,
      token: request.token,
      prewarm: request.prewarm,
      prewarmBudget: request.prewarmBudget,
      blankIsolates: request.blankIsolates,
      isolateHost: request.isolateHost,
      admissionLimits: request.admissionLimits,
      tokenCacheMs: request.tokenCacheMs,
      ...(secretsCipher === undefined ? {} : { secretsCipher }),
      examples: request.examples,
      ...(request.exitWhenDrained ? { onDrained: () => drained.abort() } : {}),
      logger,
    });
  } catch (error) {
    throw startupError(error, request);
  }
  if (stack.url !== undefined) lock?.serving(stack.url);
  announce(stack, request, io);
  const stop = AbortSignal.any([io.signal, drained.signal]);
  if (!stop.aborted) await once(stop, 'abort');
  logger.info({}, 'stopping: draining in-flight invocations (a second Ctrl-C exits at once)');
  await stack.stop();
}

/**
 * Gateways seal and open secrets; a remote node gets values from its gateway and needs no key.
 * `fn up` on its own SQLite store makes a key file when none is given; a gateway sharing a
 * PostgreSQL store must be given the key its peers use, so none is made up.
 */
function secretsCipherFor(request: ServeRequest): ReturnType<typeof loadSecretsCipher> {
  if (request.kind === 'node') return Promise.resolve(undefined);
  const local = request.kind === 'up' && !/^postgres(ql)?:\/\//.test(request.store ?? '');
  return loadSecretsCipher({
    ...(request.secretsKeyFile === undefined ? {} : { keyFile: request.secretsKeyFile }),
    ...(request.secretsKey === undefined ? {} : { key: request.secretsKey }),
    ...(local ? { generateIn: request.dataDir } : {}),
  });
}

function announce(stack: Stack, request: ServeRequest, io: Io): void {
  const nodeToken = join(request.dataDir, 'node-token');
  if (request.json) {
    const ready = {
      event: 'ready',
      ...(stack.url === undefined ? {} : { url: stack.url }),
      ...(stack.credentials ? { credentials: stack.credentials.path } : {}),
      ...(stack.nodeId === undefined ? {} : { node: stack.nodeId }),
      ...(request.kind === 'up' ? { examples: stack.examples } : {}),
      ...(request.kind === 'gateway' ? { nodeToken } : {}),
    };
    return writeJson(io, ready);
  }
  const shown = (path: string): string => displayPath(path, io.cwd);
  const lines: string[] = [];
  if (stack.url) lines.push(`Fjord ${request.kind === 'up' ? 'is up' : 'gateway'} at ${stack.url}`);
  if (stack.credentials) lines.push(`  credentials  ${shown(stack.credentials.path)}`);
  if (stack.nodeId) lines.push(`  node         ${stack.nodeId}`);
  if (request.kind === 'gateway') {
    lines.push(`  node token   ${shown(nodeToken)}`, '', 'Start runtime nodes with:');
    lines.push(
      `  fn node --broker ${request.broker ?? 'amqp://...'} --gateway ${stack.url ?? ''} --token "$(cat ${nodeToken})"`,
    );
  }
  if (request.kind === 'node') {
    lines.push(`Fjord node ${stack.nodeId ?? ''} runs functions of ${request.gateway ?? ''}`);
  }
  if (request.kind === 'up') lines.push('', 'Try:', ...tryLines(stack, request, io));
  lines.push('', 'Ctrl-C stops it.');
  for (const line of lines) writeLine(io.stdout, line);
}

function tryLines(stack: Stack, request: ServeRequest, io: Io): string[] {
  const lines = stack.examples.map((name) =>
    name === 'greet-event'
      ? `  fn invoke greet-event --data '{"name":"Ada"}'`
      : `  curl ${stack.url ?? ''}/fn/${name}`,
  );
  lines.push('  fn ls', '  fn init my-function && fn deploy my-function');
  // The CLI finds .fn/ in the working directory or above; elsewhere it needs to be told.
  if (request.dataDir !== join(io.cwd, '.fn')) {
    lines.push(`  (in other shells first: export FN_HOME=${request.dataDir})`);
  }
  return lines;
}

/** Listens on the port and lets it go: fails with EADDRINUSE when something else has it. */
async function probePort(request: ServeRequest): Promise<void> {
  const probe = await listen(() => undefined, request.port, request.host);
  await probe.close();
}

/** Turns the usual startup failures into a message that says what to do. */
function startupError(error: unknown, request: ServeRequest): unknown {
  const code = errorCode(error);
  if (code === 'EADDRINUSE') {
    return new CliError(`port ${request.port} on ${request.host} is already in use`, {
      code,
      hint: 'stop whatever listens there, or pick another port with --port (0 picks a free one)',
    });
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new CliError(`cannot listen on ${request.host}:${request.port}`, {
      code,
      hint: 'ports below 1024 need privileges; --host must be an address of this machine',
    });
  }
  if (request.broker !== undefined && (code === 'ECONNREFUSED' || code === 'ENOTFOUND')) {
    return new CliError(`cannot reach the broker at ${request.broker}`, {
      code,
      hint:
        request.kind === 'up'
          ? 'is RabbitMQ running? or leave out --broker to use the embedded broker'
          : 'is RabbitMQ running there?',
    });
  }
  return error;
}

function errorCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && code.startsWith('E')) return code;
    current = cause;
  }
  return undefined;
}
