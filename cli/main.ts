import type { Command, Io } from './command.ts';
import { UsageError } from './errors.ts';
import { reportError, writeLine } from './output.ts';

export interface Program {
  commands: readonly Command[];
  version: string;
}

/**
 * Runs `fn ARGV...` and resolves to the exit code: 0 on success, 1 when the command failed,
 * 2 for usage errors, 130 when the user interrupted it. Never throws.
 */
export async function runCli(argv: readonly string[], program: Program, io: Io): Promise<number> {
  const [first, ...rest] = argv;
  const json = argv.includes('--json');
  try {
    if (first === undefined) {
      io.stderr.write(overview(program));
      return 2;
    }
    if (first === '--help' || first === '-h') {
      io.stdout.write(overview(program));
      return 0;
    }
    if (first === '--version' || first === '-v') {
      writeLine(io.stdout, program.version);
      return 0;
    }
    if (first === 'help') {
      const topic = rest[0];
      io.stdout.write(topic === undefined ? overview(program) : find(program, topic).usage);
      return 0;
    }
    return (await find(program, first).run(rest, io)) ?? 0;
  } catch (error) {
    if (io.signal.aborted) return 130;
    return reportError(io, error, json);
  }
}

function find(program: Program, name: string): Command {
  const command = program.commands.find((candidate) => candidate.name === name);
  if (command) return command;
  const near = program.commands.find((candidate) => candidate.name.startsWith(name.slice(0, 2)));
  throw new UsageError(
    `unknown command "${name}"${near ? `: did you mean \`fn ${near.name}\`?` : ''}`,
  );
}

function overview(program: Program): string {
  const width = Math.max(...program.commands.map((command) => command.name.length));
  const list = program.commands
    .map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`)
    .join('\n');
  return `fn ${program.version}: run Fjord and deploy functions to it

Usage: fn COMMAND [options]

Commands:
${list}

\`fn COMMAND --help\` (or \`fn help COMMAND\`) shows a command's options. Every command takes
--json for machine-readable output on stdout. Commands that talk to a gateway find it through
--gateway/--token, then FN_GATEWAY/FN_TOKEN, then the credentials file \`fn up\` writes
(--data-dir, FN_HOME, or .fn/ here or in a parent directory).
`;
}
