import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { dlqLs } from './dlq-ls.ts';
import { dlqPurge, dlqRedrive } from './dlq-redrive.ts';
import { dlqShow } from './dlq-show.ts';

const SUBCOMMANDS: readonly Command[] = [dlqLs, dlqShow, dlqRedrive, dlqPurge];

const USAGE = `Usage: fn dlq COMMAND NAME [options]

A function's dead-letter queue: the async invocations it gave up on, after their last attempt
or because the event grew too old. Inspect them, then redrive them once fixed, or purge them.

Commands:
${SUBCOMMANDS.map((c) => `  ${c.name.slice(4).padEnd(8)}  ${c.summary}`).join('\n')}

\`fn dlq COMMAND --help\` shows a command's options.
`;

/** `fn dlq ls|show|redrive|purge ...`: one command with its own subcommands. */
export const dlq: Command = {
  name: 'dlq',
  summary: 'list, show, redrive or purge dead letters',
  usage: USAGE,
  run: async (argv, io) => {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      (sub === undefined ? io.stderr : io.stdout).write(USAGE);
      return sub === undefined ? 2 : 0;
    }
    const command = SUBCOMMANDS.find((c) => c.name === `dlq ${sub}`);
    if (command === undefined) {
      throw new UsageError(`unknown command "dlq ${sub}": use ls, show, redrive or purge`, 'dlq');
    }
    return command.run(rest, io);
  },
};
