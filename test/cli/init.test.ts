import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFunction } from '../../cli/bundle/bundle-function.ts';
import { FJORD_TYPES } from '../../cli/bundle/typecheck.ts';
import { init } from '../../cli/commands/init.ts';
import { runCli } from '../../cli/main.ts';
import { memoryIo } from './memory-io.ts';

let cwd: string;

before(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'fjord-init-'));
});

after(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const program = { commands: [init], version: 'test' };

describe('fn init', () => {
  for (const template of ['http', 'event']) {
    it(`writes a ${template} function that bundles and type-checks`, async () => {
      const name = `my-${template}`;
      const io = memoryIo({ cwd });
      assert.equal(await runCli(['init', name, '--template', template], program, io), 0);
      const dir = join(cwd, name);
      assert.deepEqual((await readdir(dir)).sort(), [
        'fjord.d.ts',
        'fn.json',
        'index.ts',
        'tsconfig.json',
      ]);
      assert.equal(
        await readFile(join(dir, 'fjord.d.ts'), 'utf8'),
        await readFile(FJORD_TYPES, 'utf8'),
      );
      assert.match(io.out(), new RegExp(`next: fn deploy ${name}`));
      const bundle = await bundleFunction(dir, { typecheck: true });
      assert.equal(bundle.manifest.name, name);
    });
  }

  it('uses the copied fjord.d.ts, so the folder type-checks on its own', async () => {
    const io = memoryIo({ cwd });
    await runCli(['init', 'own-types', '--dir', 'elsewhere/own-types'], program, io);
    const dir = join(cwd, 'elsewhere', 'own-types');
    // Break the local copy: the check must fail, proving it read this file and not the shipped one.
    await writeFile(join(dir, 'fjord.d.ts'), 'interface Context { log: never }\n');
    await assert.rejects(bundleFunction(dir, { typecheck: true, cwd: dir }), /index\.ts:\d+:\d+/);
  });

  it('--json prints what it created', async () => {
    const io = memoryIo({ cwd });
    assert.equal(await runCli(['init', 'as-json', '--json'], program, io), 0);
    assert.deepEqual(JSON.parse(io.out()), {
      name: 'as-json',
      dir: join(cwd, 'as-json'),
      template: 'http',
      files: ['fn.json', 'index.ts', 'fjord.d.ts', 'tsconfig.json'],
    });
  });

  it('rejects a bad name, an unknown template and a folder in use, as usage errors', async () => {
    for (const args of [
      ['init', 'Bad_Name'],
      ['init', 'ok-name', '--template', 'cron'],
      ['init', 'my-http'],
    ]) {
      const io = memoryIo({ cwd });
      assert.equal(await runCli(args, program, io), 2, args.join(' '));
      assert.match(io.err(), /^error: /);
      assert.equal(io.out(), '');
    }
  });
});
