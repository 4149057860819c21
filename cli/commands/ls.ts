import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { formatBytes, table, writeJson, writeLine } from '../output.ts';

export const ls = defineCommand({
  name: 'ls',
  summary: 'list deployed functions',
  params: [],
  description: `
Lists the functions on the gateway with their active version, runtime, bundle size, last
update, next scheduled run (triggers.schedule; "-" without one) and URL. --json prints {"functions": [FunctionView, ...]}.`,
  options: {},
  connects: true,
  async run({ values }, io) {
    const client = connect(values, io);
    const { functions } = await client.listFunctions();
    if (values.json) return writeJson(io, { functions });
    if (functions.length === 0) {
      writeLine(
        io.stderr,
        'no functions yet: `fn init NAME` starts one, `fn deploy DIR` uploads it',
      );
      return;
    }
    const rows = functions.map((fn) => [
      fn.name,
      String(fn.version),
      fn.runtime,
      formatBytes(fn.bundleSize),
      fn.updatedAt,
      fn.nextRun ?? '-',
      `${client.gateway}${fn.url}`,
    ]);
    writeLine(
      io.stdout,
      table([['NAME', 'VERSION', 'RUNTIME', 'SIZE', 'UPDATED', 'NEXT RUN', 'URL'], ...rows]),
    );
  },
});
