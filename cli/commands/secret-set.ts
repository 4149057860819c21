import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { writeJson, writeLine } from '../output.ts';
import { readSecretValue } from './secret-prompt.ts';

export const secretSet = defineCommand({
  name: 'secret set',
  summary: "set a function's secret (the value from stdin)",
  params: ['NAME', 'KEY'],
  description: `
Sets secret KEY of function NAME, or replaces it: the next invocation sees the new value. The
value is read from stdin (one trailing newline dropped), or asked for without echo when stdin
is a terminal; never from the command line, where ps and shell history would keep it.

  echo -n "$API_KEY" | fn secret set app API_KEY
  fn secret set app API_KEY < key.txt

Only functions whose fn.json lists KEY in "secrets" receive it, as env.KEY. It may be set
before the function is deployed. --json prints {"key", "updatedAt"}.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [name = '', key = ''] = positionals;
    const value = await readSecretValue(io, key);
    const view = await connect(values, io).secrets.set(name, key, value);
    if (values.json) return writeJson(io, view);
    writeLine(io.stdout, `set secret ${key} of ${name}`);
  },
});
