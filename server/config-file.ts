/**
 * The config file of `fn up`, `fn gateway` and `fn node` (--config FILE, else FN_CONFIG): one
 * JSON object whose keys stand for flags (server/config-file.schema.json). Precedence: a flag,
 * then its environment variable, then the file, then the default.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { CliError } from '../cli/errors.ts';

const require = createRequire(import.meta.url);
/** The published JSON Schema of the config file. */
export const CONFIG_SCHEMA = require('./config-file.schema.json') as Record<string, unknown>;

/** How a config key maps to its flag and environment variable. */
interface Setting {
  flag: string;
  env?: string;
  /** A path: relative ones are taken from the file's directory. */
  path?: boolean;
}

/** Every key of the schema; the flag names are those of server/serve-commands.ts. */
export const SETTINGS: Readonly<Record<string, Setting>> = {
  port: { flag: 'port', env: 'FN_PORT' },
  host: { flag: 'host', env: 'FN_HOST' },
  dataDir: { flag: 'data-dir', env: 'FN_HOME', path: true },
  store: { flag: 'store', env: 'FN_STORE', path: true },
  broker: { flag: 'broker', env: 'FN_BROKER' },
  gateway: { flag: 'gateway', env: 'FN_GATEWAY' },
  token: { flag: 'token', env: 'FN_TOKEN' },
  prewarm: { flag: 'prewarm', env: 'FN_PREWARM' },
  prewarmBudget: { flag: 'prewarm-budget', env: 'FN_PREWARM_BUDGET' },
  blankIsolates: { flag: 'blank-isolates', env: 'FN_BLANK_ISOLATES' },
  isolateHost: { flag: 'isolate-host', env: 'FN_ISOLATE_HOST' },
  examples: { flag: 'examples' },
  tokenRateLimit: { flag: 'token-rate-limit', env: 'FN_TOKEN_RATE_LIMIT' },
  functionRateLimit: { flag: 'function-rate-limit', env: 'FN_FUNCTION_RATE_LIMIT' },
  maxQueued: { flag: 'max-queued', env: 'FN_MAX_QUEUED' },
  tokenCacheMs: { flag: 'token-cache-ms', env: 'FN_TOKEN_CACHE_MS' },
  // FN_SECRETS_KEY holds the key itself: set, it wins over the file's key file.
  secretsKeyFile: { flag: 'secrets-key-file', env: 'FN_SECRETS_KEY', path: true },
  exitWhenDrained: { flag: 'exit-when-drained' },
};

/** A validated config file: keys of {@link SETTINGS} only. */
export type ConfigFile = Record<string, string | number | boolean>;

/** Reads and validates a config file; errors name the file and the key (exit code 2). */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw invalid(path, `cannot read it: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw invalid(path, `not valid JSON: ${(error as Error).message}`);
  }
  if (!validate(parsed)) {
    throw invalid(path, (validate.errors ?? []).map(describe).join('; '));
  }
  const config = { ...(parsed as ConfigFile) };
  delete config.$schema;
  return config;
}

/**
 * `values` (a command's parsed flags) with what its flags left unset filled in from the
 * environment, then from the config file (`--config`, else FN_CONFIG). Only the keys the
 * command has flags for (`flags`, its option names) are taken.
 */
export async function applyConfig<V extends { config?: string }>(
  values: V,
  flags: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<V> {
  const where = values.config ?? (env.FN_CONFIG || undefined);
  const merged: Record<string, unknown> = { ...values };
  const path = where === undefined ? undefined : resolve(cwd, where);
  const file = path === undefined ? {} : await readConfigFile(path);
  for (const [key, setting] of Object.entries(SETTINGS)) {
    if (!flags.includes(setting.flag) || merged[setting.flag] !== undefined) continue;
    const fromEnv = setting.env === undefined ? undefined : env[setting.env] || undefined;
    if (fromEnv !== undefined) {
      // FN_SECRETS_KEY is the key, not a file: the command reads it itself.
      if (setting.flag !== 'secrets-key-file') merged[setting.flag] = fromEnv;
      continue;
    }
    const value = file[key];
    if (value === undefined || path === undefined) continue;
    merged[setting.flag] =
      typeof value === 'boolean'
        ? value
        : setting.path === true && !/^[a-z]+:\/\//.test(String(value))
          ? resolve(dirname(path), String(value))
          : String(value);
  }
  return merged as V;
}

// Union types: a rate is a number of invocations per second, or "N:BURST".
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(CONFIG_SCHEMA);

function describe(error: ErrorObject): string {
  const key = error.instancePath.slice(1).replaceAll('/', '.');
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown key "${String(error.params.additionalProperty)}" (known: ${Object.keys(SETTINGS).join(', ')})`;
    case 'enum':
      return `key "${key}" must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return key === '' ? 'must be a JSON object' : `key "${key}" ${error.message ?? 'is invalid'}`;
    default:
      return `key "${key}" ${error.message ?? 'is invalid'}`;
  }
}

function invalid(path: string, reason: string): CliError {
  return new CliError(`config file ${path}: ${reason}`, {
    code: 'INVALID_CONFIG',
    exitCode: 2,
    hint: 'the keys and their types are in server/config-file.schema.json (README: Configuration)',
  });
}
