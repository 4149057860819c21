import {
  COMMON_OPTIONS,
  CONNECTION_OPTIONS,
  describeOptions,
  parseCommandArgs,
  wantsHelp,
  type OptionSpecs,
  type OptionValues,
} from './args.ts';

/** A stream the CLI writes to; a terminal (`isTTY`, `columns`) gets a spinner, others lines. */
export type Output = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Everything a command touches outside itself, injected so tests can run commands in-process. */
export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted when the user asks to stop (the first Ctrl-C or SIGTERM). */
  signal: AbortSignal;
}

/** What `fn` dispatches to: `fn NAME ...argv`. */
export interface Command {
  name: string;
  /** One line for `fn --help`. */
  summary: string;
  /** The full text of `fn NAME --help`. */
  usage: string;
  /** Runs the command; resolves to its exit code (0 when void), throws CliError to fail. */
  run(argv: string[], io: Io): Promise<number | void>;
}

type CommonValues = OptionValues<typeof COMMON_OPTIONS>;
type ConnectionValues = OptionValues<typeof CONNECTION_OPTIONS>;

/** What a command's implementation receives: its flags (common ones included) and positionals. */
export interface ParsedCommand<O extends OptionSpecs> {
  values: OptionValues<O> & CommonValues & Partial<ConnectionValues>;
  positionals: string[];
}

export interface CommandSpec<O extends OptionSpecs> {
  name: string;
  summary: string;
  /** Positional parameters, e.g. `['NAME']` or `['DIR?']`. */
  params: readonly string[];
  /** What the command does and prints, shown under the usage line. */
  description: string;
  options: O;
  /** Takes --gateway, --token and --data-dir. */
  connects?: boolean;
  run(args: ParsedCommand<O>, io: Io): Promise<number | void>;
}

/**
 * Builds a {@link Command} from a spec: one place parses flags strictly, answers `--help` and
 * writes the usage text, so every command behaves the same way.
 */
export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): Command {
  const options: OptionSpecs = {
    ...spec.options,
    ...(spec.connects ? CONNECTION_OPTIONS : {}),
    ...COMMON_OPTIONS,
  };
  const synopsis = [
    `fn ${spec.name}`,
    ...spec.params.map((param) => (param.endsWith('?') ? `[${param.slice(0, -1)}]` : param)),
    '[options]',
  ].join(' ');
  const usage = `Usage: ${synopsis}\n\n${spec.description.trim()}\n\nOptions:\n${describeOptions(options)}\n`;
  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    run: async (argv, io) => {
      if (wantsHelp(argv)) {
        io.stdout.write(usage);
        return;
      }
      const parsed = parseCommandArgs(spec.name, argv, options, spec.params);
      return spec.run(parsed as ParsedCommand<O>, io);
    },
  };
}
