import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { table, writeJson, writeLine } from '../output.ts';

export const tokenLs = defineCommand({
  name: 'token ls',
  summary: 'list control API tokens (ids, scopes, labels; never secrets)',
  params: [],
  description: `
Lists every token: id, scope, label and when it was created, oldest first. Secrets are never
shown (only their hashes are kept). Needs an admin token. --json prints the TokenListResponse.`,
  options: {},
  connects: true,
  async run({ values }, io) {
    const { tokens } = await connect(values, io).tokens.list();
    if (values.json) return writeJson(io, { tokens });
    if (tokens.length === 0) {
      writeLine(io.stderr, 'no tokens; create one with `fn token create --scope deploy`');
      return;
    }
    const rows = tokens.map((t) => [t.id, t.scope, t.label === '' ? '-' : t.label, t.createdAt]);
    writeLine(io.stdout, table([['ID', 'SCOPE', 'LABEL', 'CREATED'], ...rows]));
  },
});
