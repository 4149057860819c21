import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { UsageError } from '../errors.ts';
import { writeJson, writeLine } from '../output.ts';

export const tokenCreate = defineCommand({
  name: 'token create',
  summary: 'create a control API token with one scope',
  params: [],
  description: `
Creates a token with --scope, for CI or a client application, and prints it once: only its
hash is kept, so store it now (a CI secret, a password manager). Needs an admin token.

Scopes: admin (everything, tokens included), deploy (deploy, roll back, secrets, and invoke),
invoke (invoke, read functions and logs), node (runtime nodes started with \`fn node\`).

  fn token create --scope deploy --label ci
  fn token create --scope invoke --label web-app --json

--json prints {"token", "record": {"id", "scope", "label", "createdAt"}}.`,
  options: {
    scope: {
      type: 'string',
      placeholder: 'SCOPE',
      description: 'admin, deploy, invoke or node (required)',
    },
    label: {
      type: 'string',
      placeholder: 'TEXT',
      description: 'what the token is for, 1-64 printable characters',
    },
  },
  connects: true,
  async run({ values }, io) {
    if (values.scope === undefined) {
      throw new UsageError('missing --scope: admin, deploy, invoke or node', 'token create');
    }
    const created = await connect(values, io).tokens.create(values.scope, values.label);
    if (values.json) return writeJson(io, created);
    const { record } = created;
    writeLine(io.stdout, created.token);
    const label = record.label === '' ? '' : ` "${record.label}"`;
    writeLine(
      io.stderr,
      `created ${record.scope} token ${record.id}${label}: store it now, it is not shown again`,
    );
  },
});
