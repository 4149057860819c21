import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { writeJson, writeLine } from '../output.ts';

/** A whole token (`fjd_<id>_<secret>`) stands for its id; the secret is never sent. */
const WHOLE_TOKEN = /^fjd_([0-9a-f]{16})_/;

export const tokenRm = defineCommand({
  name: 'token rm',
  summary: 'delete a control API token',
  params: ['ID'],
  description: `
Deletes token ID (from \`fn token ls\`; a whole token works too, only its id is sent). Every
gateway that hears the deletion on the broker refuses it at once and ends its dashboard sessions;
one cut off from the broker then refuses it within its token cache TTL (5 s by default). Deleting the admin token of .fn/credentials.json is allowed: \`fn up\`
and \`fn gateway\` write a new one at their next start when the one there is gone or deleted.
Needs an admin token. --json prints {"deleted": ID}.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [given = ''] = positionals;
    const id = WHOLE_TOKEN.exec(given)?.[1] ?? given;
    await connect(values, io).tokens.delete(id);
    if (values.json) return writeJson(io, { deleted: id });
    writeLine(io.stdout, `deleted token ${id}`);
  },
});
