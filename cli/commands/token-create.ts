import { isTokenLabel, isTokenScope } from '../../core/token-rules.ts';
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
    const scope = values.scope;
    if (scope === undefined) {
      throw new UsageError('missing --scope: admin, deploy, invoke or node', 'token create');
    }
    // The gateway's rules, checked here so a typo exits 2 before any request.
    if (!isTokenScope(scope)) {
      throw new UsageError(
        `--scope must be admin, deploy, invoke or node, got "${scope}"`,
        'token create',
        { code: 'INVALID_TOKEN_SCOPE' },
      );
    }
    if (values.label !== undefined && !isTokenLabel(values.label)) {
      throw new UsageError(
        '--label must be 1 to 64 printable characters, without leading or trailing spaces (or leave it out)',
        'token create',
        { code: 'INVALID_TOKEN_LABEL' },
      );
    }
    const created = await connect(values, io).tokens.create(scope, values.label);
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
