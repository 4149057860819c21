/**
 * Errors the CLI reports itself: what went wrong, an optional error code, and a hint of what to
 * do next. The exit code is 1, or 2 for usage errors.
 */
export class CliError extends Error {
  readonly code: string | undefined;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: { code?: string; hint?: string; exitCode?: number } = {}) {
    super(message);
    this.name = 'CliError';
    this.code = options.code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Wrong arguments or flags: exit code 2, and a pointer to the command's help. */
export class UsageError extends CliError {
  constructor(message: string, command?: string, options: { code?: string } = {}) {
    super(message, {
      ...options,
      exitCode: 2,
      hint: command ? `\`fn ${command} --help\` shows its usage` : '`fn --help` lists commands',
    });
    this.name = 'UsageError';
  }
}
