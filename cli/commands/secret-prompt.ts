import { text } from 'node:stream/consumers';
import type { Io } from '../command.ts';
import { CliError } from '../errors.ts';

/** What a terminal's stdin offers beyond a stream: raw mode turns its echo off. */
type TerminalInput = NodeJS.ReadableStream & {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
};

/**
 * A secret's value, never from argv (where `ps` and shell history would show it): piped stdin
 * as it is, but for one trailing newline (`echo v | fn secret set ...` stores "v"), or, from a
 * terminal, a prompt that does not echo what is typed.
 */
export async function readSecretValue(io: Io, key: string): Promise<string> {
  const stdin = io.stdin as TerminalInput;
  if (stdin.isTTY !== true) return (await text(stdin)).replace(/\r?\n$/, '');
  io.stderr.write(`Value of ${key} (not shown): `);
  return promptHidden(stdin, io);
}

function promptHidden(stdin: TerminalInput, io: Io): Promise<string> {
  stdin.setRawMode?.(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
    };
    const onData = (chunk: string | Buffer): void => {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new CliError('cancelled: no secret was set', { exitCode: 130 }));
          return;
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}
