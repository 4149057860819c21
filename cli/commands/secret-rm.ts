import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { writeJson, writeLine } from '../output.ts';

export const secretRm = defineCommand({
  name: 'secret rm',
  summary: "remove a function's secret",
  params: ['NAME', 'KEY'],
  description: `
Removes secret KEY of NAME. A function that declares it then fails its invocations with
SECRET_NOT_SET until it is set again. --json prints {"deleted": KEY}.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [name = '', key = ''] = positionals;
    await connect(values, io).secrets.delete(name, key);
    if (values.json) return writeJson(io, { deleted: key });
    writeLine(io.stdout, `removed secret ${key} of ${name}`);
  },
});
