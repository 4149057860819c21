/**
 * The browser script (gateway/dashboard/app/) is type-checked against the DOM library in a
 * project of its own, which the root `tsc --noEmit` leaves out: this runs it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

test('the dashboard script type-checks against the DOM', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const project = fileURLToPath(
    new URL('../../gateway/dashboard/app/tsconfig.json', import.meta.url),
  );
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
