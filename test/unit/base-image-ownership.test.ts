/**
 * Which old base images a checkout may delete (docker/base/own-images.sh, sourced by
 * build-offline.sh): only the one it used before, and only while no other existing checkout
 * uses it, since every checkout on a machine shares the Docker engine. Real bash, real files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

const HELPER = join(import.meta.dirname, '../../docker/base/own-images.sh');

/** Runs `script` in bash with the helper sourced and `stateDir` as its state directory. */
function sh(stateDir: string, script: string, ...args: string[]): string {
  return execFileSync('bash', ['-c', `source "$0"; ${script}`, HELPER, ...args], {
    env: { ...process.env, FJORD_BASE_STATE_DIR: stateDir },
    encoding: 'utf8',
  });
}

async function checkouts(t: TestContext, ...names: string[]) {
  const root = await mkdtemp(join(tmpdir(), 'fjord-base-owners-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const trees = names.map((name) => join(root, name));
  for (const tree of trees) await mkdir(tree);
  const state = join(root, 'state');
  return {
    trees,
    /** Records `tag` for `tree`; the tag it recorded before ('' for none). */
    use: (tree: string, tag: string) => sh(state, 'record_image "$1" "$2"', tree, tag),
    /** Whether another existing checkout than `tree` uses `tag`. */
    elsewhere: (tree: string, tag: string) =>
      sh(state, 'used_elsewhere "$1" "$2" && echo yes || echo no', tree, tag).trim() === 'yes',
  };
}

test('a checkout gets back the tag it used before, and may drop it once nobody else uses it', async (t) => {
  const { trees, use, elsewhere } = await checkouts(t, 'a', 'b');
  const [a = '', b = ''] = trees;
  assert.equal(use(a, 'base:x'), '', 'nothing recorded yet');
  assert.equal(use(b, 'base:x'), '', 'same inputs, same image');
  assert.equal(use(a, 'base:x'), 'base:x', 'unchanged: the tag in use, which stays');

  assert.equal(use(a, 'base:y'), 'base:x');
  assert.equal(elsewhere(a, 'base:x'), true, 'b still uses x: a must keep it');

  assert.equal(use(b, 'base:z'), 'base:x');
  assert.equal(elsewhere(b, 'base:x'), false, 'a moved to y: x is b’s to drop');
  assert.equal(elsewhere(b, 'base:y'), true, 'and y is a’s, never b’s to drop');
});

test('the record of a checkout whose directory is gone protects nothing', async (t) => {
  const { trees, use, elsewhere } = await checkouts(t, 'a', 'gone');
  const [a = '', gone = ''] = trees;
  use(a, 'base:x');
  use(gone, 'base:x');
  await rm(gone, { recursive: true });
  assert.equal(use(a, 'base:y'), 'base:x');
  assert.equal(elsewhere(a, 'base:x'), false);
});
