import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { formatBytes, table, writeJson, writeLine } from '../output.ts';

export const versions = defineCommand({
  name: 'versions',
  summary: "list a function's versions",
  params: ['NAME'],
  description: `
Lists every version of the function, oldest first; * marks the active one, which
\`fn rollback\` changes. --json prints {"versions": [VersionView, ...]}.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const { versions } = await connect(values, io).listVersions(name);
    if (values.json) return writeJson(io, { versions });
    const rows = versions.map((v) => [
      `${v.active ? '*' : ' '} ${v.version}`,
      formatBytes(v.bundleSize),
      v.createdAt,
      v.bundleSha.slice(0, 12),
    ]);
    writeLine(io.stdout, table([['  VERSION', 'SIZE', 'CREATED', 'BUNDLE'], ...rows]));
  },
});
