import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../../core/ids.ts';

test('newId: a base-36 time, a dash, 16 hex digits; unique', () => {
  const ids = Array.from({ length: 10_000 }, newId);
  for (const id of ids) assert.match(id, /^[0-9a-z]+-[0-9a-f]{16}$/);
  assert.equal(new Set(ids).size, ids.length);
  const [time = ''] = (ids[0] ?? '').split('-');
  assert.ok(Math.abs(parseInt(time, 36) - Date.now()) < 60_000, 'the prefix is the time');
});

test('newId: every one of the 16 hex digits is random (no UUID version or variant digit)', () => {
  const seen = Array.from({ length: 16 }, () => new Set<string>());
  for (let i = 0; i < 2000; i++) {
    const random = newId().split('-')[1] ?? '';
    for (const [position, digit] of [...random].entries()) seen[position]?.add(digit);
  }
  // 2,000 draws of a uniform hex digit miss one of the 16 values with probability ~1e-55.
  assert.deepEqual(
    seen.map((digits) => digits.size),
    Array.from({ length: 16 }, () => 16),
  );
});
