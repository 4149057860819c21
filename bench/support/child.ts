/**
 * Child processes of the benchmark: servers that announce readiness with a JSON line on stdout
 * (`fn up --json`, the anchors in bench/anchors), and one-shot probes that print one JSON result.
 * Their stderr goes to a log file, never to a pipe nobody reads: a full pipe would stall a
 * server under load and show up as latency. Every child is tracked in a {@link Children} set so
 * an interrupted run can stop them instead of leaving servers behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stderr goes here (appended); stdout too unless the caller reads it. */
  logFile: string;
  timeoutMs?: number;
  /** The set this child is tracked in while it runs. */
  children: Children;
}

/** The children of a run that are still running. */
export class Children {
  readonly #running = new Set<ChildProcess>();

  track(child: ChildProcess): ChildProcess {
    this.#running.add(child);
    child.once('exit', () => this.#running.delete(child));
    return child;
  }

  /** SIGKILLs every child still running (the run was interrupted). */
  killAll(): void {
    for (const child of this.#running) child.kill('SIGKILL');
  }
}

export interface ReadyChild<Ready> {
  child: ChildProcess;
  ready: Ready;
  /** Sends `signal` and resolves once the process exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The last lines of a log file, for error messages. */
export function tail(logFile: string, chars = 3000): string {
  try {
    return readFileSync(logFile, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/** Spawns a tracked child with stderr (and stdout unless `readStdout`) appended to its log. */
export function launch(
  command: string,
  args: string[],
  options: ChildOptions,
  readStdout = true,
): ChildProcess {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', readStdout ? 'pipe' : fd, fd],
    });
    return options.children.track(child);
  } finally {
    closeSync(fd);
  }
}

/** Starts a server and resolves with the first stdout line that is JSON with `event: "ready"`. */
export async function startReady<Ready extends object>(
  command: string,
  args: string[],
  options: ChildOptions,
): Promise<ReadyChild<Ready>> {
  const child = launch(command, args, options);
  const exited = once(child, 'exit');
  const what = `${command} ${args.join(' ')}`;
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: not ready after ${timeoutMs} ms\n${tail(options.logFile)}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return; // banners and other chatter
      }
      if ((parsed as { event?: unknown } | null)?.event === 'ready') {
        clearTimeout(timer);
        resolve(parsed as Ready);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what}: exited before it was ready\n${tail(options.logFile)}`));
    });
  });
  return {
    child,
    ready,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** Runs a process to completion and parses the last JSON line it printed on stdout. */
export async function runJson<Result>(
  command: string,
  args: string[],
  options: ChildOptions,
): Promise<Result> {
  const child = launch(command, args, options);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${code}\n${tail(options.logFile)}`);
  }
  return JSON.parse(last) as Result;
}
