/**
 * `fn up`, `fn gateway` and `fn node`: the commands that run Fjord itself. They live in server/
 * because cli/ may not import the gateway or the runtime; the stack loads only when one of them
 * runs, so `fn ls` never pays for Koa or isolated-vm.
 */
import { resolve } from 'node:path';
import { parseCount, wantsHelp } from '../cli/args.ts';
import { NODE_SUBCOMMANDS } from '../cli/commands/node-drain.ts';
import { defineCommand, type Command, type Io } from '../cli/command.ts';
import { UsageError } from '../cli/errors.ts';
import type { AdmissionOptions } from '../gateway/admission.ts';
import { parseRate, type Rate } from '../gateway/middleware/rate-limit.ts';
import { applyConfig } from './config-file.ts';
import type { ServeRequest } from './serve.ts';

const LISTEN_OPTIONS = {
  port: {
    type: 'string',
    placeholder: 'PORT',
    description: 'port to listen on (default 8080; 0 picks a free one)',
  },
  host: { type: 'string', placeholder: 'HOST', description: 'address to bind (default 127.0.0.1)' },
  'data-dir': {
    type: 'string',
    placeholder: 'DIR',
    description: 'store, embedded broker and credentials (default FN_HOME, else .fn)',
  },
  store: {
    type: 'string',
    placeholder: 'PATH|URL',
    description:
      'SQLite file (default DIR/fjord.db), or postgres://... shared by several gateways (else FN_STORE)',
  },
} as const;

const BROKER_OPTION = {
  broker: {
    type: 'string',
    placeholder: 'URL',
    description: 'RabbitMQ URL, amqp://...; for a cluster, the URLs of its nodes, comma-separated',
  },
} as const;

const PREWARM_OPTION = {
  prewarm: {
    type: 'string',
    placeholder: 'N',
    description: 'booted isolates kept idle per active function version (default 1; 0 disables)',
  },
  'prewarm-budget': {
    type: 'string',
    placeholder: 'N',
    description:
      'function versions that keep idle isolates, the most recently used (default 32): the others start cold',
  },
  'blank-isolates': {
    type: 'string',
    placeholder: 'N',
    description:
      'isolates per isolate host process booted ahead for new versions, tied to no function (default 2; 0 disables)',
  },
} as const;

const ISOLATE_HOST_OPTION = {
  'isolate-host': {
    type: 'string',
    placeholder: 'MODE',
    description:
      'where isolates run: process (default; child processes, a V8 crash ends one of them, not the node) or inline (this process; about 0.2 ms less per invocation)',
  },
} as const;

const LIMIT_OPTIONS = {
  'token-rate-limit': {
    type: 'string',
    placeholder: 'RATE',
    description:
      'invocations per second each token may make, N or N:BURST (else FN_TOKEN_RATE_LIMIT; default unlimited)',
  },
  'function-rate-limit': {
    type: 'string',
    placeholder: 'RATE',
    description:
      'invocations per second of a function without fn.json limits.rateLimit, N or N:BURST (else FN_FUNCTION_RATE_LIMIT; default unlimited)',
  },
  'max-queued': {
    type: 'string',
    placeholder: 'N',
    description:
      'invocations queued over all functions from which new ones get 503 OVERLOADED (else FN_MAX_QUEUED; default 0: no cap)',
  },
  'token-cache-ms': {
    type: 'string',
    placeholder: 'MS',
    description:
      'how long a verified token is believed without asking the store again, so a token deleted elsewhere works that much longer here (else FN_TOKEN_CACHE_MS; default 5000; 0 disables)',
  },
} as const;

const CONFIG_OPTION = {
  config: {
    type: 'string',
    placeholder: 'FILE',
    description:
      'JSON config file (else FN_CONFIG): keys as flags, e.g. {"port": 8080}; flags and environment win',
  },
} as const;

const SECRETS_KEY_OPTION = {
  'secrets-key-file': {
    type: 'string',
    placeholder: 'FILE',
    description:
      'file with the key secrets are sealed with, 32 bytes base64 (else FN_SECRETS_KEY; fn up: DIR/secrets.key, made when missing)',
  },
} as const;

const UP_OPTIONS = {
  ...LISTEN_OPTIONS,
  ...BROKER_OPTION,
  ...PREWARM_OPTION,
  ...ISOLATE_HOST_OPTION,
  ...SECRETS_KEY_OPTION,
  ...LIMIT_OPTIONS,
  ...CONFIG_OPTION,
  examples: { type: 'boolean', negatable: true, description: 'do not deploy the examples' },
} as const;

const GATEWAY_OPTIONS = {
  ...LISTEN_OPTIONS,
  ...BROKER_OPTION,
  ...SECRETS_KEY_OPTION,
  ...LIMIT_OPTIONS,
  ...CONFIG_OPTION,
} as const;

const NODE_OPTIONS = {
  ...BROKER_OPTION,
  gateway: { type: 'string', placeholder: 'URL', description: 'the gateway (else FN_GATEWAY)' },
  token: { type: 'string', placeholder: 'TOKEN', description: 'node token (else FN_TOKEN)' },
  ...PREWARM_OPTION,
  ...ISOLATE_HOST_OPTION,
  ...CONFIG_OPTION,
  'exit-when-drained': {
    type: 'boolean',
    description:
      'exit (status 0) once a `fn node drain` finished, e.g. for systemd to start the new version',
  },
} as const;

export const up = defineCommand({
  name: 'up',
  summary: 'run a gateway and a runtime node in this process',
  params: [],
  description: `
Runs the gateway and one runtime node in one process, with the embedded broker and the SQLite
store in the data dir unless --broker/--store say otherwise. Writes DIR/credentials.json, which
the other fn commands read, and deploys the example functions (hello, greet-event) unless they
exist or --no-examples is given. Prints where it listens; logs (JSON lines) go to stderr.
Ctrl-C or SIGTERM drains in-flight invocations and stops; a second one exits at once.

--json prints one line: {"event":"ready","url":...,"credentials":PATH,"node":ID,"examples":[...]}.`,
  options: UP_OPTIONS,
  async run(args, io) {
    const values = await applyConfig(args.values, Object.keys(UP_OPTIONS), io.env, io.cwd);
    await serve(io, {
      kind: 'up',
      ...listening(values, io, 'up'),
      ...prewarm(values, 'up'),
      ...isolateHost(values['isolate-host'], 'up'),
      ...admissionLimits(values, io, 'up'),
      ...tokenCache(values['token-cache-ms'], 'up'),
      broker: values.broker,
      ...secretsKey(values, io),
      examples: values.examples !== false,
      json: values.json === true,
    });
  },
});

export const gateway = defineCommand({
  name: 'gateway',
  summary: 'run a gateway only (runtime nodes join through RabbitMQ)',
  params: [],
  description: `
Runs the gateway alone, for setups where runtime nodes run elsewhere (\`fn node\`): they meet
on RabbitMQ, so --broker is required. Writes DIR/credentials.json for the CLI and DIR/node-token,
the token nodes pass to \`fn node --token\`.

--json prints one line: {"event":"ready","url":...,"credentials":PATH,"nodeToken":PATH}.`,
  options: GATEWAY_OPTIONS,
  async run(args, io) {
    const values = await applyConfig(args.values, Object.keys(GATEWAY_OPTIONS), io.env, io.cwd);
    const broker = requireBroker(values.broker, 'gateway');
    await serve(io, {
      kind: 'gateway',
      ...listening(values, io, 'gateway'),
      ...admissionLimits(values, io, 'gateway'),
      ...tokenCache(values['token-cache-ms'], 'gateway'),
      broker,
      ...secretsKey(values, io),
      examples: false,
      json: values.json === true,
    });
  },
});

const runNode = defineCommand({
  name: 'node',
  summary: 'run a runtime node that takes work from a gateway',
  params: [],
  description: `
Runs one runtime node: it consumes invocations from RabbitMQ (--broker) and loads functions
from the gateway (--gateway, --token; else FN_GATEWAY, FN_TOKEN). The token is the node token
\`fn gateway\` wrote to DIR/node-token. Ctrl-C or SIGTERM drains in-flight work, then stops.

--json prints one line: {"event":"ready","node":ID}.`,
  options: NODE_OPTIONS,
  async run(args, io) {
    const values = await applyConfig(args.values, Object.keys(NODE_OPTIONS), io.env, io.cwd);
    const broker = requireBroker(values.broker, 'node');
    const gatewayUrl = values.gateway ?? io.env.FN_GATEWAY;
    const token = values.token ?? io.env.FN_TOKEN;
    if (!gatewayUrl) throw new UsageError('missing --gateway (or FN_GATEWAY)', 'node');
    if (!token) throw new UsageError('missing --token (or FN_TOKEN)', 'node');
    await serve(io, {
      kind: 'node',
      dataDir: dataDir(undefined, io),
      host: '127.0.0.1',
      port: 0,
      broker,
      gateway: gatewayUrl,
      token,
      ...prewarm(values, 'node'),
      ...isolateHost(values['isolate-host'], 'node'),
      examples: false,
      json: values.json === true,
      exitWhenDrained: values['exit-when-drained'] === true,
    });
  },
});

/**
 * `fn node` runs a node; `fn node drain|undrain NAME` (cli/commands/node-drain.ts) ask a gateway
 * to drain one, under the name an operator looks for.
 */
export const node: Command = {
  ...runNode,
  usage: `${runNode.usage}
Draining a node (from anywhere, with an admin token):
${NODE_SUBCOMMANDS.map((c) => `  ${`fn ${c.name} NAME`.padEnd(22)}${c.summary}`).join('\n')}
`,
  run: async (argv, io) => {
    const sub = NODE_SUBCOMMANDS.find((command) => command.name === `node ${argv[0] ?? ''}`);
    if (sub !== undefined) return sub.run(argv.slice(1), io);
    if (wantsHelp(argv)) {
      io.stdout.write(node.usage);
      return 0;
    }
    return runNode.run(argv, io);
  },
};

/** The serving commands, in the order `fn --help` lists them. */
export const SERVE_COMMANDS = [up, gateway, node];

async function serve(io: Io, request: ServeRequest): Promise<void> {
  const { runServer } = await import('./serve.ts');
  await runServer(request, io);
}

function listening(
  values: { port?: string; host?: string; 'data-dir'?: string; store?: string },
  io: Io,
  command: string,
): Pick<ServeRequest, 'dataDir' | 'host' | 'port' | 'store'> {
  return {
    dataDir: dataDir(values['data-dir'], io),
    host: values.host ?? '127.0.0.1',
    port: values.port === undefined ? 8080 : parseCount(command, 'port', values.port),
    store: values.store ?? (io.env.FN_STORE || undefined),
  };
}

function prewarm(
  values: { prewarm?: string; 'prewarm-budget'?: string; 'blank-isolates'?: string },
  command: string,
): Pick<ServeRequest, 'prewarm' | 'prewarmBudget' | 'blankIsolates'> {
  const count = values.prewarm;
  const budget = values['prewarm-budget'];
  const blanks = values['blank-isolates'];
  return {
    ...(blanks === undefined
      ? {}
      : { blankIsolates: parseCount(command, 'blank-isolates', blanks) }),
    ...(count === undefined ? {} : { prewarm: parseCount(command, 'prewarm', count) }),
    ...(budget === undefined
      ? {}
      : { prewarmBudget: parseCount(command, 'prewarm-budget', budget) }),
  };
}

function isolateHost(flag: string | undefined, command: string): Pick<ServeRequest, 'isolateHost'> {
  if (flag === undefined) return {};
  if (flag !== 'inline' && flag !== 'process') {
    throw new UsageError(`--isolate-host must be "process" or "inline", got "${flag}"`, command);
  }
  return { isolateHost: flag };
}

/** --secrets-key-file wins over FN_SECRETS_KEY (server/secrets-key.ts). */
function secretsKey(
  values: { 'secrets-key-file'?: string },
  io: Io,
): Pick<ServeRequest, 'secretsKeyFile' | 'secretsKey'> {
  const file = values['secrets-key-file'];
  const key = io.env.FN_SECRETS_KEY || undefined;
  return {
    ...(file === undefined ? {} : { secretsKeyFile: resolve(io.cwd, file) }),
    ...(key === undefined ? {} : { secretsKey: key }),
  };
}

/** --token-cache-ms (its environment variable and config key are applied before). */
function tokenCache(
  value: string | undefined,
  command: string,
): Pick<ServeRequest, 'tokenCacheMs'> {
  return value === undefined ? {} : { tokenCacheMs: parseCount(command, 'token-cache-ms', value) };
}

/** Rate limits and the queue-length cap: flags first, then the environment. */
function admissionLimits(
  values: { 'token-rate-limit'?: string; 'function-rate-limit'?: string; 'max-queued'?: string },
  io: Io,
  command: string,
): Pick<ServeRequest, 'admissionLimits'> {
  const rate = (flag: keyof typeof values, env: string): Rate | undefined => {
    const text = values[flag] ?? (io.env[env] || undefined);
    if (text === undefined) return undefined;
    const parsed = parseRate(text);
    if (parsed === undefined) {
      throw new UsageError(
        `--${flag} must be N or N:BURST invocations per second (N may be a fraction), got "${text}"`,
        command,
      );
    }
    return parsed;
  };
  const tokenRate = rate('token-rate-limit', 'FN_TOKEN_RATE_LIMIT');
  const functionRate = rate('function-rate-limit', 'FN_FUNCTION_RATE_LIMIT');
  const queued = values['max-queued'] ?? (io.env.FN_MAX_QUEUED || undefined);
  const limits: AdmissionOptions = {
    ...(tokenRate === undefined ? {} : { tokenRate }),
    ...(functionRate === undefined ? {} : { functionRate }),
    ...(queued === undefined ? {} : { maxQueued: parseCount(command, 'max-queued', queued) }),
  };
  return Object.keys(limits).length === 0 ? {} : { admissionLimits: limits };
}

function dataDir(flag: string | undefined, io: Io): string {
  return resolve(io.cwd, flag ?? (io.env.FN_HOME || '.fn'));
}

function requireBroker(url: string | undefined, command: string): string {
  if (url === undefined || !/^amqps?:\/\//.test(url)) {
    throw new UsageError(
      `${url === undefined ? 'missing --broker' : `--broker must be an amqp:// URL, got "${url}"`}: separate gateways and nodes meet on RabbitMQ`,
      command,
    );
  }
  return url;
}
