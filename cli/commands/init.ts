import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertFunctionName } from '../../core/names.ts';
import { displayPath } from '../bundle/paths.ts';
import { FJORD_TYPES } from '../bundle/typecheck.ts';
import { defineCommand } from '../command.ts';
import { UsageError } from '../errors.ts';
import { writeJson, writeLine } from '../output.ts';

const TEMPLATES = fileURLToPath(new URL('../templates/', import.meta.url));
const TEMPLATE_NAMES = ['http', 'event'];

export const init = defineCommand({
  name: 'init',
  summary: 'create a function folder from a template',
  params: ['NAME'],
  description: `
Creates a folder (./NAME, or --dir) with fn.json, index.ts, fjord.d.ts (the types for
function authors) and a tsconfig.json for editors. Templates: http (a fetch handler, the
default) and event (a function (event, ctx) returning JSON). Deploy it with \`fn deploy DIR\`.
--json prints {"name", "dir", "template", "files"}.`,
  options: {
    template: { type: 'string', placeholder: 'http|event', description: 'which template' },
    dir: { type: 'string', placeholder: 'DIR', description: 'where to create it (default ./NAME)' },
  },
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    try {
      assertFunctionName(name);
    } catch (error) {
      throw new UsageError((error as Error).message, 'init');
    }
    const template = values.template ?? 'http';
    if (!TEMPLATE_NAMES.includes(template)) {
      throw new UsageError(
        `unknown template "${template}": use ${TEMPLATE_NAMES.join(' or ')}`,
        'init',
      );
    }
    const dir = resolve(io.cwd, values.dir ?? name);
    const shown = displayPath(dir, io.cwd);
    const existing = await readdir(dir).catch(() => []);
    if (existing.length > 0) throw new UsageError(`${shown} exists and is not empty`, 'init');
    await mkdir(dir, { recursive: true });

    const manifest = JSON.parse(await readFile(join(TEMPLATES, template, 'fn.json'), 'utf8')) as {
      name: string;
    };
    manifest.name = name;
    await writeFile(join(dir, 'fn.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await copyFile(join(TEMPLATES, template, 'index.ts'), join(dir, 'index.ts'));
    await copyFile(FJORD_TYPES, join(dir, 'fjord.d.ts'));
    await copyFile(join(TEMPLATES, 'common', 'tsconfig.json'), join(dir, 'tsconfig.json'));
    const files = ['fn.json', 'index.ts', 'fjord.d.ts', 'tsconfig.json'];

    if (values.json) return writeJson(io, { name, dir, template, files });
    writeLine(io.stdout, `created ${shown}/ from the ${template} template:`);
    for (const file of files) writeLine(io.stdout, `  ${join(shown, file)}`);
    writeLine(io.stdout, `next: fn deploy ${shown}`);
  },
});
