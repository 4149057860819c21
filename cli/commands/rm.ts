import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { writeJson, writeLine } from '../output.ts';

export const rm = defineCommand({
  name: 'rm',
  summary: 'delete a function with all its versions and logs',
  params: ['NAME'],
  description: `
Deletes the function, every version of it and its logs. Invocations still queued for it fail.
--json prints {"deleted": NAME}.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    await connect(values, io).deleteFunction(name);
    if (values.json) return writeJson(io, { deleted: name });
    writeLine(io.stdout, `deleted ${name}`);
  },
});
