import { PassThrough, Readable } from 'node:stream';
import type { Io } from '../../cli/command.ts';

/** An {@link Io} that records what a command writes, for running commands in-process. */
export interface MemoryIo extends Io {
  out(): string;
  err(): string;
}

export function memoryIo(options: {
  cwd: string;
  env?: Record<string, string>;
  stdin?: string;
}): MemoryIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  stderr.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  const stdin = Readable.from(options.stdin === undefined ? [] : [options.stdin]);
  return {
    stdout,
    stderr,
    stdin,
    env: options.env ?? {},
    cwd: options.cwd,
    signal: new AbortController().signal,
    out: () => Buffer.concat(chunks.out).toString(),
    err: () => Buffer.concat(chunks.err).toString(),
  };
}
