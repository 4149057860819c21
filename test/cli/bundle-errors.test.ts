import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bundleFunction } from '../../cli/bundle/bundle-function.ts';
import {
  INVALID_JSON,
  NODE_GLOBAL,
  SYNTAX_ERROR,
  TYPE_ERROR,
  writeFunction,
  type Files,
} from '../fixtures/cli/broken-functions.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/cli/', import.meta.url));
const temporary: string[] = [];

after(async () => {
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function written(files: Files): Promise<string> {
  const dir = await writeFunction(files);
  temporary.push(dir);
  return dir;
}

/** Bundles `dir` (messages relative to it) and returns the error it must fail with. */
async function failure(dir: string, typecheck = false): Promise<{ code: string; message: string }> {
  try {
    await bundleFunction(dir, { typecheck, cwd: dir });
  } catch (error) {
    return error as { code: string; message: string };
  }
  assert.fail(`bundling ${dir} should have failed`);
}

describe('bundleFunction rejects what cannot run, naming what is wrong', () => {
  it('a syntax error, with file:line:col', async () => {
    const error = await failure(await written(SYNTAX_ERROR));
    assert.equal(error.code, 'BUNDLE_REJECTED');
    assert.match(error.message, /^index\.ts:3:28: Expected "\)" but found ";"$/m);
  });

  it('a type error when type-checking, with file:line:col', async () => {
    const dir = await written(TYPE_ERROR);
    await bundleFunction(dir, { typecheck: false, cwd: dir });
    const error = await failure(dir, true);
    assert.equal(error.code, 'BUNDLE_REJECTED');
    assert.match(error.message, /type check failed/);
    assert.match(error.message, /^index\.ts:3:11: Type 'string \| null' is not assignable/m);
  });

  it('Node globals in an isolate function, as type errors', async () => {
    const error = await failure(await written(NODE_GLOBAL), true);
    assert.match(error.message, /^index\.ts:3:25: Cannot find name 'process'/m);
  });

  it('a missing default export', async () => {
    const error = await failure(join(FIXTURES, 'no-default-export'));
    assert.equal(error.code, 'BUNDLE_REJECTED');
    assert.equal(
      error.message,
      'index.ts has no default export: export default { fetch } or a function (event, ctx)',
    );
  });

  it('a Node built-in imported by an isolate function, at the importing line', async () => {
    const error = await failure(join(FIXTURES, 'node-import'));
    assert.equal(error.code, 'BUNDLE_REJECTED');
    assert.match(
      error.message,
      /^config\.ts:1:16: "node:fs" is a Node\.js built-in module, which isolate functions cannot import: set "runtime": "container" in fn\.json/m,
    );
  });

  it('fn.json that is not JSON, with file:line:col', async () => {
    const error = await failure(await written(INVALID_JSON));
    assert.equal(error.code, 'INVALID_MANIFEST');
    assert.match(error.message, /^fn\.json:3:3: invalid JSON: Expected "," in JSON/);
  });

  it('fn.json against the schema, naming the field', async () => {
    const error = await failure(join(FIXTURES, 'schema-error'));
    assert.equal(error.code, 'INVALID_MANIFEST');
    assert.equal(error.message, 'fn.json: field "memoryMb" must be integer');
  });

  it('a missing entry file', async () => {
    const error = await failure(join(FIXTURES, 'missing-entry'));
    assert.equal(error.code, 'INVALID_MANIFEST');
    assert.match(error.message, /^fn\.json: entry file "src\/main\.ts" not found/);
  });

  it('a folder without fn.json', async () => {
    const error = await failure(await written({ 'index.ts': 'export default () => 1;\n' }));
    assert.equal(error.code, 'INVALID_MANIFEST');
    assert.match(error.message, /fn\.json not found/);
  });

  it('an npm package that is not installed, saying to install it', async () => {
    const dir = await written({
      'fn.json': '{ "name": "needs-dep" }\n',
      'index.ts': "import pad from 'left-pad';\nexport default () => pad('x', 3);\n",
    });
    const error = await failure(dir);
    assert.match(error.message, /^index\.ts:1:17: Could not resolve "left-pad".*npm install/m);
  });
});

describe('bundleFunction builds what the runtime loads', () => {
  it('bundles dependencies from the function folder node_modules', async () => {
    const dir = await written({
      'fn.json': '{ "name": "with-dep" }\n',
      'index.ts': "import shout from 'shout';\nexport default () => shout('hi');\n",
      // A CommonJS package with only "main": the neutral platform needs mainFields for it.
      'node_modules/shout/package.json': '{ "name": "shout", "main": "lib.js" }\n',
      'node_modules/shout/lib.js': 'module.exports = (s) => s.toUpperCase() + "!";\n',
    });
    const bundle = await bundleFunction(dir, { typecheck: false, cwd: dir });
    assert.match(bundle.code, /toUpperCase\(\) \+ "!"/);
    assert.match(bundle.code, /^var __fjord_module = /);
    assert.equal(bundle.size, Buffer.byteLength(bundle.code));
  });

  it('leaves Node built-ins to a container function', async () => {
    const dir = await written({
      'fn.json': '{ "name": "container-fs", "runtime": "container" }\n',
      'index.ts': "import fs from 'node:fs';\nexport default () => fs.existsSync('/');\n",
    });
    const bundle = await bundleFunction(dir, { typecheck: false, cwd: dir });
    assert.equal(bundle.manifest.runtime, 'container');
    assert.match(bundle.code, /require\("node:fs"\)/);
  });

  it('type-checks a container function against Node types, outside this repository', async () => {
    const dir = await written({
      'fn.json': '{ "name": "container-node-types", "runtime": "container" }\n',
      'index.ts': [
        "import { readFileSync } from 'node:fs';",
        'export default () => ({',
        "  host: readFileSync('/etc/hostname', 'utf8'),",
        '  pid: process.pid,',
        "  bytes: Buffer.from('x').length,",
        '});',
        '',
      ].join('\n'),
    });
    const bundle = await bundleFunction(dir, { typecheck: true, cwd: dir });
    assert.equal(bundle.manifest.runtime, 'container');
    const wrong = await written({
      'fn.json': '{ "name": "container-node-wrong", "runtime": "container" }\n',
      'index.ts': 'export default () => { const pid: string = process.pid; return pid; };\n',
    });
    const error = await failure(wrong, true);
    assert.match(
      error.message,
      /^index\.ts:1:30: Type 'number' is not assignable to type 'string'/m,
    );
  });
});
