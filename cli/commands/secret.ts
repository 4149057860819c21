import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { secretLs } from './secret-ls.ts';
import { secretRm } from './secret-rm.ts';
import { secretSet } from './secret-set.ts';

const SUBCOMMANDS: readonly Command[] = [secretSet, secretLs, secretRm];

const USAGE = `Usage: fn secret COMMAND NAME [KEY] [options]

A function's secrets: values such as API keys, sealed at rest with the operator's key and
delivered only to functions that declare them in fn.json ("secrets": ["KEY"]) as env.KEY.

Commands:
${SUBCOMMANDS.map((c) => `  ${c.name.slice(7).padEnd(4)}  ${c.summary}`).join('\n')}

\`fn secret COMMAND --help\` shows a command's options.
`;

/** `fn secret set|ls|rm ...`: one command with its own subcommands. */
export const secret: Command = {
  name: 'secret',
  summary: 'set, list or remove secrets of a function',
  usage: USAGE,
  run: async (argv, io) => {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      (sub === undefined ? io.stderr : io.stdout).write(USAGE);
      return sub === undefined ? 2 : 0;
    }
    const command = SUBCOMMANDS.find((c) => c.name === `secret ${sub}`);
    if (command === undefined) {
      throw new UsageError(`unknown command "secret ${sub}": use set, ls or rm`, 'secret');
    }
    return command.run(rest, io);
  },
};
