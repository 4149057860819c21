import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError, UsageError } from './errors.ts';

/** Where `fn up` listens unless told otherwise. */
export const DEFAULT_GATEWAY = 'http://127.0.0.1:8080';

/** A gateway to talk to, and where its address came from (shown by errors). */
export interface Connection {
  gateway: string;
  token?: string;
  /** The credentials file that was read, if any. */
  credentialsPath?: string;
}

export interface ConnectionFlags {
  gateway?: string;
  token?: string;
  dataDir?: string;
}

/**
 * Resolves gateway and token: flags first, then FN_GATEWAY / FN_TOKEN, then the credentials
 * file `fn up` writes, looked for in --data-dir, then FN_HOME, then `.fn/` in the working
 * directory or the nearest parent that has one. A token from the file is only used for the
 * gateway the file names, so a token never travels to a gateway it was not issued by.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Connection {
  const file = findCredentials(flags.dataDir, nonEmpty(env.FN_HOME), cwd);
  const gateway = trimSlash(
    flags.gateway ?? nonEmpty(env.FN_GATEWAY) ?? file?.gateway ?? DEFAULT_GATEWAY,
  );
  if (!/^https?:\/\/[^/]/.test(gateway)) {
    throw new UsageError(`the gateway must be an http:// or https:// URL, got "${gateway}"`);
  }
  const fileToken = file && trimSlash(file.gateway) === gateway ? file.token : undefined;
  const token = flags.token ?? nonEmpty(env.FN_TOKEN) ?? fileToken;
  return {
    gateway,
    ...(token === undefined ? {} : { token }),
    ...(file ? { credentialsPath: file.path } : {}),
  };
}

interface CredentialsFile {
  gateway: string;
  token: string;
  path: string;
}

function findCredentials(
  dataDir: string | undefined,
  home: string | undefined,
  cwd: string,
): CredentialsFile | undefined {
  if (dataDir !== undefined) {
    const path = resolve(cwd, dataDir, 'credentials.json');
    if (!existsSync(path)) {
      throw new CliError(`no credentials at ${path}`, {
        hint: `\`fn up --data-dir ${dataDir}\` writes them`,
      });
    }
    return readCredentials(path);
  }
  if (home !== undefined) {
    const path = resolve(cwd, home, 'credentials.json');
    if (existsSync(path)) return readCredentials(path);
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const path = join(dir, '.fn', 'credentials.json');
    if (existsSync(path)) return readCredentials(path);
    if (dirname(dir) === dir) return undefined;
  }
}

function readCredentials(path: string): CredentialsFile {
  let parsed: Partial<CredentialsFile>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<CredentialsFile>;
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, {
      hint: 'delete it and restart `fn up` to write a new one',
    });
  }
  if (typeof parsed.gateway !== 'string' || typeof parsed.token !== 'string') {
    throw new CliError(`${path} lacks "gateway" or "token"`, {
      hint: 'delete it and restart `fn up` to write a new one',
    });
  }
  return { gateway: parsed.gateway, token: parsed.token, path };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
