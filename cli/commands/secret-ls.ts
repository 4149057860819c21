import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { table, writeJson, writeLine } from '../output.ts';

export const secretLs = defineCommand({
  name: 'secret ls',
  summary: "list a function's secrets (names and times, never values)",
  params: ['NAME'],
  description: `
Lists the secrets set for NAME: each key and when it was last set. Values are never shown:
not here, not by the API, not in logs. --json prints the SecretListResponse.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const list = await connect(values, io).secrets.list(name);
    if (values.json) return writeJson(io, list);
    if (list.secrets.length === 0) {
      writeLine(io.stderr, `${name} has no secrets; set one with \`fn secret set ${name} KEY\``);
      return;
    }
    const rows = list.secrets.map((secret) => [secret.key, secret.updatedAt]);
    writeLine(io.stdout, table([['KEY', 'UPDATED'], ...rows]));
  },
});
