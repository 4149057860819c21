import { commandGroup } from '../command-group.ts';
import { secretLs } from './secret-ls.ts';
import { secretRm } from './secret-rm.ts';
import { secretSet } from './secret-set.ts';

/** `fn secret set|ls|rm ...`: one command with its own subcommands. */
export const secret = commandGroup({
  name: 'secret',
  summary: 'set, list or remove secrets of a function',
  args: 'NAME [KEY] [options]',
  description: `A function's secrets: values such as API keys, sealed at rest with the operator's key and
delivered only to functions that declare them in fn.json ("secrets": ["KEY"]) as env.KEY.`,
  subcommands: [secretSet, secretLs, secretRm],
});
