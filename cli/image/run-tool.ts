import { spawn } from 'node:child_process';

/** How a tool run ended, with the end of what it wrote (for error messages). */
export interface ToolResult {
  code: number | null;
  /** The last lines of stdout and stderr together. */
  tail: string[];
  /** stdout alone (its first 64 KiB), for tools that print a result there. */
  stdout: string;
  /** The spawn error (ENOENT: the tool is not installed). */
  error?: NodeJS.ErrnoException;
}

const TAIL_LINES = 20;

/**
 * Runs a command line tool (npm, docker), copying its output to `echo` as it comes (progress
 * for the user) and keeping the last lines for an error message. Never rejects.
 */
export function runTool(
  command: string,
  args: string[],
  options: { cwd?: string; echo?: NodeJS.WritableStream; stdin?: string; signal?: AbortSignal },
): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const tail: string[] = [];
    let partial = '';
    const collect = (chunk: Buffer): void => {
      options.echo?.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      tail.push(...lines.filter((line) => line.trim() !== ''));
      tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
    };
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stdout.length < 65_536) stdout += chunk.toString('utf8');
    });
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.stdin?.end(options.stdin);
    let done = false;
    const finish = (code: number | null, error?: NodeJS.ErrnoException): void => {
      if (done) return;
      done = true;
      if (partial.trim() !== '') tail.push(partial);
      resolve({ code, tail: tail.slice(-TAIL_LINES), stdout, ...(error ? { error } : {}) });
    };
    // A tool that cannot start (ENOENT) may never close.
    child.on('error', (error) => finish(null, error));
    child.on('close', (code) => finish(code));
  });
}
