import { commandGroup } from '../command-group.ts';
import { tokenCreate } from './token-create.ts';
import { tokenLs } from './token-ls.ts';
import { tokenRm } from './token-rm.ts';

/** `fn token create|ls|rm ...`: one command with its own subcommands. */
export const token = commandGroup({
  name: 'token',
  summary: 'create, list or delete control API tokens (admin)',
  args: '[ID] [options]',
  description: `Control API tokens, each with one scope: a deploy-only token for CI, an invoke-only one
for a client application. Only their hashes are kept; managing them needs an admin token.`,
  subcommands: [tokenCreate, tokenLs, tokenRm],
});
