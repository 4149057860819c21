/**
 * Runs the real CLI (`node bin/fn.ts ...args`) as a child process, with no stdin, no FN_*
 * variables from this environment and no credentials file, and collects what it printed.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/fn.ts', import.meta.url));

export interface FnRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Both streams, in the order they arrived. */
  out: string;
}

export async function runFn(...args: string[]): Promise<FnRun> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('FN_')),
  );
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...env, FN_HOME: '/nonexistent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = { stdout: '', stderr: '', out: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString();
    run.out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
    run.out += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, ...run };
}
