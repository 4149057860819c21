/**
 * Runs the real `fn` command as a child process: long-running servers (`fn up`, `fn gateway`,
 * `fn node`) that announce readiness with a JSON line, and one-shot client commands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const FN_BIN = fileURLToPath(new URL('../../../bin/fn.ts', import.meta.url));

/** What a server command prints on stdout once it serves (`--json`). */
export interface ReadyLine {
  event: 'ready';
  url?: string;
  credentials?: string;
  node?: string;
  examples?: string[];
  [key: string]: unknown;
}

export interface FnServer {
  child: ChildProcess;
  ready: ReadyLine;
  /** Everything written on stderr so far (structured logs), for failure messages. */
  stderr(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface FnRunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  /** A command the server runs under, e.g. `['ip', 'netns', 'exec', NS]` (startFn only). */
  prefix?: string[];
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // The tests must never pick up a developer's own gateway or token.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FN_GATEWAY: undefined,
    FN_TOKEN: undefined,
    FN_HOME: undefined,
  };
  for (const [k, v] of Object.entries(extra)) env[k] = v;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

/** Starts a server command with `--json` and resolves once it printed its ready line. */
export async function startFn(args: string[], options: FnRunOptions = {}): Promise<FnServer> {
  const [command = process.execPath, ...prefixArgs] = options.prefix ?? [];
  const argv = [...(options.prefix ? [process.execPath] : []), FN_BIN, ...args, '--json'];
  const child = spawn(command, [...prefixArgs, ...argv], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-200_000);
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `fn ${args.join(' ')} not ready after ${options.timeoutMs ?? 60_000} ms:\n${stderr.slice(-4000)}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    lines.on('line', (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if ((parsed as ReadyLine | null)?.event === 'ready') {
        clearTimeout(timer);
        resolve(parsed as ReadyLine);
      }
    });
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(
        new Error(
          `fn ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${stderr.slice(-4000)}`,
        ),
      );
    });
  });
  return {
    child,
    ready: await ready,
    stderr: () => stderr,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}

export interface FnResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a one-shot `fn` command to completion. */
export async function runFn(args: string[], options: FnRunOptions = {}): Promise<FnResult> {
  const child = spawn(process.execPath, [FN_BIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Runs a command with `--json` and parses its stdout; fails with its stderr when it failed. */
export async function runFnJson<T>(args: string[], options: FnRunOptions = {}): Promise<T> {
  const result = await runFn([...args, '--json'], options);
  if (result.code !== 0) {
    throw new Error(
      `fn ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}
