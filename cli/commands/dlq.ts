import { commandGroup } from '../command-group.ts';
import { dlqLs } from './dlq-ls.ts';
import { dlqPurge, dlqRedrive } from './dlq-redrive.ts';
import { dlqShow } from './dlq-show.ts';

/** `fn dlq ls|show|redrive|purge ...`: one command with its own subcommands. */
export const dlq = commandGroup({
  name: 'dlq',
  summary: 'list, show, redrive or purge dead letters',
  args: 'NAME [options]',
  description: `A function's dead-letter queue: the async invocations it gave up on, after their last attempt
or because the event grew too old. Inspect them, then redrive them once fixed, or purge them.`,
  subcommands: [dlqLs, dlqShow, dlqRedrive, dlqPurge],
});
