import type { Command } from './command.ts';
import { UsageError } from './errors.ts';

/**
 * A command made of subcommands (`fn dlq ls`, `fn secret set`): prints its usage on `--help`
 * (or on stderr with status 2 when no subcommand is given) and hands the rest of the arguments
 * to the subcommand named `GROUP SUB`.
 */
export function commandGroup(group: {
  name: string;
  summary: string;
  /** The usage line's arguments after `fn NAME COMMAND`, e.g. `NAME [options]`. */
  args: string;
  /** What the group is for, shown between the usage line and the command list. */
  description: string;
  subcommands: readonly Command[];
}): Command {
  const { name, subcommands } = group;
  const subName = (command: Command): string => command.name.slice(name.length + 1);
  // One column wider than the longest name, as the help of `fn dlq` always was.
  const width = Math.max(...subcommands.map((c) => subName(c).length)) + 1;
  const usage = `Usage: fn ${name} COMMAND ${group.args}

${group.description}

Commands:
${subcommands.map((c) => `  ${subName(c).padEnd(width)}  ${c.summary}`).join('\n')}

\`fn ${name} COMMAND --help\` shows a command's options.
`;
  const choices = subcommands.map(subName);
  const list = `${choices.slice(0, -1).join(', ')} or ${choices.at(-1) ?? ''}`;
  return {
    name,
    summary: group.summary,
    usage,
    run: async (argv, io) => {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
        (sub === undefined ? io.stderr : io.stdout).write(usage);
        return sub === undefined ? 2 : 0;
      }
      const command = subcommands.find((c) => c.name === `${name} ${sub}`);
      if (command === undefined) {
        throw new UsageError(`unknown command "${name} ${sub}": use ${list}`, name);
      }
      return command.run(rest, io);
    },
  };
}
