import { parseCount } from '../args.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { writeJson, writeLine } from '../output.ts';

export const rollback = defineCommand({
  name: 'rollback',
  summary: 'make an earlier version active again',
  params: ['NAME'],
  description: `
Activates version N (--to N), or the version before the active one. New invocations run it at
once; nothing is rebuilt. \`fn versions NAME\` lists the versions. --json prints the
FunctionView.`,
  options: {
    to: { type: 'string', placeholder: 'N', description: 'the version to activate' },
  },
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const version = values.to === undefined ? undefined : parseCount('rollback', 'to', values.to);
    const fn = await connect(values, io).rollback(name, version === undefined ? {} : { version });
    if (values.json) return writeJson(io, fn);
    writeLine(io.stdout, `${fn.name} is now at version ${fn.version}`);
  },
});
