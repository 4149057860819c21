import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/** One flag of a command: parseArgs' descriptor plus what its help says. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown after a string flag in help, e.g. `URL` in `--gateway URL`. */
  placeholder?: string;
  /** A boolean that is on by default: help shows `--no-NAME`. */
  negatable?: boolean;
  /** A string flag that may be given several times: its value is the list, in order. */
  multiple?: boolean;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Parsed flags: strings for string options, booleans for the rest, absent when not given. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'string'
    ? O[K]['multiple'] extends true
      ? string[]
      : string
    : boolean;
};

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean', description: 'machine-readable output on stdout' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionSpecs;

/** Flags of the commands that talk to a gateway. */
export const CONNECTION_OPTIONS = {
  gateway: {
    type: 'string',
    placeholder: 'URL',
    description: 'gateway URL (else FN_GATEWAY, else the credentials file)',
  },
  token: { type: 'string', placeholder: 'TOKEN', description: 'API token (else FN_TOKEN, ...)' },
  'data-dir': {
    type: 'string',
    placeholder: 'DIR',
    description: 'read DIR/credentials.json (else FN_HOME, else .fn/ here or above)',
  },
} as const satisfies OptionSpecs;

/**
 * Parses `argv` strictly against `options`: unknown flags, missing values and wrong positional
 * counts are usage errors. `params` names the positionals; a trailing `?` marks optional ones.
 */
export function parseCommandArgs<O extends OptionSpecs>(
  command: string,
  argv: readonly string[],
  options: O,
  params: readonly string[],
): { values: OptionValues<O>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map(([name, { type, short, multiple }]) => [
          name,
          { type, ...(short === undefined ? {} : { short }), ...(multiple ? { multiple } : {}) },
        ]),
      ),
      strict: true,
      allowPositionals: true,
      allowNegative: true,
    });
  } catch (error) {
    throw parseError(command, error as NodeJS.ErrnoException, options);
  }
  const { positionals } = parsed;
  const required = params.filter((param) => !param.endsWith('?'));
  if (positionals.length < required.length) {
    throw new UsageError(`missing ${required[positionals.length]}`, command);
  }
  if (positionals.length > params.length) {
    throw new UsageError(`unexpected argument "${positionals[params.length]}"`, command);
  }
  return { values: parsed.values as OptionValues<O>, positionals };
}

/**
 * parseArgs' own messages quote oddly and carry no code (`Unknown option '--x'. To specify a
 * positional argument ... as in '-- "--x"`): these say what is wrong in the CLI's words.
 */
function parseError(
  command: string,
  error: NodeJS.ErrnoException,
  options: OptionSpecs,
): UsageError {
  // The option as quoted: '--x', or '-f, --follow' (and a placeholder) for one with a short alias.
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  const flag = (/--[^\s,]+/.exec(quoted) ?? /-[^\s,]+/.exec(quoted))?.[0];
  if (flag === undefined) return new UsageError(error.message, command);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const stem = flag.replace(/^-+(no-)?/, '').slice(0, 3);
    const near = Object.keys(options).find((name) => stem.length > 1 && name.startsWith(stem));
    const no = flag.startsWith('--no-') && options[near ?? '']?.negatable ? 'no-' : '';
    const guess = near === undefined ? '' : `: did you mean --${no}${near}?`;
    return new UsageError(`unknown option ${flag} for fn ${command}${guess}`, command, {
      code: 'UNKNOWN_OPTION',
    });
  }
  const missing = error.message.includes('argument missing');
  const spec = options[flag.replace(/^-+/, '')];
  const shown = spec?.placeholder === undefined ? flag : `${flag} ${spec.placeholder}`;
  return new UsageError(
    missing ? `${flag} needs a value: ${shown}` : `${flag} takes no value`,
    command,
    { code: 'INVALID_OPTION_VALUE' },
  );
}

/** True when `--help`/`-h` appears before `--`: help wins over every other check. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** Parses a whole, non-negative number flag such as `--port` or `--to`. */
export function parseCount(command: string, flag: string, value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`--${flag} must be a whole number, got "${value}"`, command);
  }
  return Number(value);
}

/** The option list of a command's help, one aligned line per flag. */
export function describeOptions(options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${spec.negatable ? 'no-' : ''}${name}`;
    return [spec.placeholder ? `${flag} ${spec.placeholder}` : flag, spec.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}
