/** How a container's end is explained (runtime/container/container-faults.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  exitFault,
  mayBeHeapExhaustion,
  settledOutput,
} from '../../runtime/container/container-faults.ts';

const FATAL = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory';
const facts = (lastOutput: string) => ({ removedBy: undefined, memoryMb: 96, lastOutput });

test("V8's heap exhaustion, even far above a long native stack trace, is MEMORY_LIMIT_EXCEEDED", () => {
  const trace = Array.from({ length: 40 }, (_, i) => ` ${i + 1}: 0x${i.toString(16)}  [node]`);
  const output = ['<--- JS stacktrace --->', FATAL, '----- Native stack trace -----', ...trace];
  const fault = exitFault({ exitCode: 134, oomKilled: false }, facts(output.join('\n')));
  assert.equal(fault.code, 'MEMORY_LIMIT_EXCEEDED');
  assert.match(fault.message, /96 MB/);
});

test('an abort without the message yet may still be heap exhaustion; other ends may not', () => {
  assert.equal(mayBeHeapExhaustion({ exitCode: 134, oomKilled: false }, ''), true, 'SIGABRT');
  assert.equal(mayBeHeapExhaustion({ exitCode: 133, oomKilled: false }, 'x'), true, 'SIGTRAP');
  assert.equal(mayBeHeapExhaustion({ exitCode: 134, oomKilled: false }, FATAL), false, 'known');
  assert.equal(mayBeHeapExhaustion({ exitCode: 137, oomKilled: true }, ''), false, 'OOM killer');
  assert.equal(mayBeHeapExhaustion({ exitCode: 137, oomKilled: false }, ''), false, 'killed');
  assert.equal(mayBeHeapExhaustion({ exitCode: 1, oomKilled: false }, ''), false, 'exit 1');
  assert.equal(mayBeHeapExhaustion(undefined, ''), false, 'still running or unknown');
  assert.equal(
    exitFault({ exitCode: 134, oomKilled: false }, facts('Aborted')).code,
    'FUNCTION_CRASHED',
    'an abort with no heap message is a crash',
  );
});

test('the output is read again while an abort may still be heap exhaustion, until it says so', async () => {
  const reads = ['Aborted', `Aborted\n${FATAL}`];
  const read = async () => reads.shift() ?? 'unexpected read';
  const output = await settledOutput({ exitCode: 134, oomKilled: false }, '', read);
  assert.match(output, /FATAL ERROR/);
  assert.equal(reads.length, 0, 'read until the message came, not longer');
  let more = 0;
  const killed = await settledOutput({ exitCode: 137, oomKilled: false }, 'x', async () => {
    more++;
    return 'y';
  });
  assert.deepEqual([killed, more], ['x', 0], 'a SIGKILL is not waited on');
});
