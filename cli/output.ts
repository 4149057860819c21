import { isFjordError } from '../core/errors.ts';
import type { Io, Output } from './command.ts';
import { CliError } from './errors.ts';
import { hintFor } from './hints.ts';

/** One JSON document per line on stdout: the only thing `--json` puts there. */
export function writeJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

export function writeLine(out: Output, text = ''): void {
  out.write(`${text}\n`);
}

interface Described {
  message: string;
  code?: string;
  hint?: string;
  exitCode: number;
}

/** Normalizes anything thrown into what the user sees. */
export function describeError(error: unknown): Described {
  if (error instanceof CliError) {
    return {
      message: error.message,
      code: error.code,
      hint: error.hint ?? hintFor(error.code),
      exitCode: error.exitCode,
    };
  }
  if (isFjordError(error)) {
    return { message: error.message, code: error.code, hint: hintFor(error.code), exitCode: 1 };
  }
  return { message: error instanceof Error ? error.message : String(error), exitCode: 1 };
}

/**
 * Prints `error: <first line> (<CODE>)`, any further lines indented, then `hint: ...` on stderr;
 * with --json also `{"error": {...}}` on stdout for scripts. Returns the exit code.
 */
export function reportError(io: Io, error: unknown, json: boolean): number {
  const { message, code, hint, exitCode } = describeError(error);
  const [first = '', ...rest] = message.split('\n');
  const lines = [`error: ${first}${code ? ` (${code})` : ''}`, ...rest.map((line) => `  ${line}`)];
  if (hint) lines.push(`hint: ${hint}`);
  io.stderr.write(`${lines.join('\n')}\n`);
  if (json) {
    const shownCode = code ?? (exitCode === 2 ? 'USAGE' : 'ERROR');
    writeJson(io, { error: { code: shownCode, message, ...(hint ? { hint } : {}) } });
  }
  return exitCode;
}

/** Left-aligned columns with a header row, as `fn ls` and `fn versions` print them. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

/** A result value as a user reads it: strings as they are, everything else as indented JSON. */
export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
