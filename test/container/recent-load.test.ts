/** The load window that sizes warm container pools, on an injected clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentLoad } from '../../runtime/container/recent-load.ts';

function clocked(windowMs: number): { load: RecentLoad; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { load: new RecentLoad({ windowMs, now: () => now }), advance: (ms) => (now += ms) };
}

test('nothing recorded: no containers wanted', () => {
  assert.equal(clocked(60_000).load.peak(), 0);
});

test('the peak is the largest in-flight count within the window, not the latest', () => {
  const { load, advance } = clocked(60_000);
  load.record(1);
  advance(1000);
  load.record(5);
  advance(1000);
  load.record(2);
  load.record(0);
  assert.equal(load.peak(), 5);
});

test('a peak leaves the window after windowMs, and the pool may scale to zero', () => {
  const { load, advance } = clocked(60_000);
  load.record(4);
  advance(30_000);
  load.record(2);
  advance(29_000);
  assert.equal(load.peak(), 4, 'the burst is 59 s old: still within the window');
  advance(5000);
  assert.equal(load.peak(), 2, 'the burst left the window; the later load counts');
  advance(60_000);
  assert.equal(load.peak(), 0, 'nothing for a whole window');
});

test('memory stays bounded however often it records', () => {
  const { load, advance } = clocked(1600);
  for (let i = 0; i < 10_000; i++) {
    load.record(i % 7);
    advance(1);
  }
  assert.equal(load.peak(), 6);
  advance(1700);
  assert.equal(load.peak(), 0);
});
