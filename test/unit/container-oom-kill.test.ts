/**
 * How a container stopped by the kernel's OOM killer is told from any other SIGKILL when Docker's
 * `State.OOMKilled` misses it (runtime/container/container-faults.ts, cgroup-oom.ts). A unit test
 * of the rule and of the order the facts are read in: the engine is a stand-in, since a lost or
 * late OOM notice cannot be brought about on purpose with real Docker.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { oomKillCount } from '../../runtime/container/cgroup-oom.ts';
import {
  exitFault,
  explainExit,
  unexplainedKill,
  type ExitFacts,
  type ExitProbe,
} from '../../runtime/container/container-faults.ts';
import type { ContainerExit } from '../../runtime/container/docker-engine.ts';

const killed: ContainerExit = { exitCode: 137, oomKilled: false };
const facts = (more: Partial<ExitFacts> = {}): ExitFacts => ({
  removedBy: undefined,
  memoryMb: 96,
  lastOutput: '',
  ...more,
});

test("a SIGKILL is MEMORY_LIMIT_EXCEEDED when the cgroup counted an OOM kill, whatever Docker's flag says", () => {
  const fault = exitFault(killed, facts({ oomKills: 1 }));
  assert.equal(fault.code, 'MEMORY_LIMIT_EXCEEDED');
  assert.match(fault.message, /96 MB/);
  assert.equal(exitFault(undefined, facts({ oomKills: 2 })).code, 'MEMORY_LIMIT_EXCEEDED');
});

test('a SIGKILL is MEMORY_LIMIT_EXCEEDED when the engine logged an oom event after the exit', () => {
  assert.equal(exitFault(killed, facts({ oomEvent: true })).code, 'MEMORY_LIMIT_EXCEEDED');
  const crash = exitFault({ exitCode: 1, oomKilled: false }, facts({ oomEvent: true }));
  assert.equal(crash.code, 'FUNCTION_CRASHED', 'the event explains a SIGKILL, not an exit code');
});

test('a SIGKILL with no sign of the OOM killer stays FUNCTION_CRASHED; a node stop wins', () => {
  const fault = exitFault(killed, facts({ oomKills: 0, oomEvent: false }));
  assert.equal(fault.code, 'FUNCTION_CRASHED');
  assert.match(fault.message, /killed \(signal 9\)/);
  const stopped = exitFault(killed, facts({ removedBy: 'shutdown', oomKills: 1 }));
  assert.equal(stopped.code, 'FUNCTION_CRASHED');
  assert.equal(stopped.retryable, true);
});

test('only a SIGKILL that nothing explained yet sends the engine to its events', () => {
  assert.equal(unexplainedKill(killed), true);
  assert.equal(unexplainedKill(killed, 0), true);
  assert.equal(unexplainedKill(killed, 1), false, 'the cgroup counted the kill');
  assert.equal(unexplainedKill({ exitCode: 137, oomKilled: true }), false, "Docker's flag");
  assert.equal(unexplainedKill({ exitCode: 134, oomKilled: false }), false, 'an abort');
  assert.equal(unexplainedKill(undefined), false, 'still running');
});

/** A stand-in engine recording the order of its calls. */
function probe(answers: {
  oomKills?: number;
  exit?: ContainerExit;
  oomEvents?: boolean[];
}): ExitProbe & { calls: string[] } {
  const calls: string[] = [];
  const events = [...(answers.oomEvents ?? [])];
  return {
    calls,
    oomKills: () => (calls.push('oomKills'), answers.oomKills),
    inspectExit: async () => (calls.push('inspectExit'), answers.exit),
    logsTail: async () => (calls.push('logsTail'), ''),
    oomEventSince: async () => (calls.push('oomEventSince'), events.shift() ?? false),
  };
}

const facts96 = { removedBy: undefined, memoryMb: 96 };

test("the cgroup's count is read before the exit is awaited, and the exit before Docker is asked", async () => {
  const engine = probe({ oomKills: 1, exit: killed });
  let exit!: () => void;
  const exited = new Promise<void>((resolve) => (exit = resolve));
  const explained = explainExit(engine, { id: 'c1', createdAt: 0, exited }, facts96);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(engine.calls, ['oomKills'], 'nothing else before the container ended');
  exit();
  const fault = await explained;
  assert.equal(fault.code, 'MEMORY_LIMIT_EXCEEDED');
  assert.ok(!engine.calls.includes('oomEventSince'), 'the count explained it: no events read');
});

test('an unexplained SIGKILL waits for a late oom event; a plain kill is told after a moment', async () => {
  const late = probe({ exit: killed, oomEvents: [false, false, true] });
  const fault = await explainExit(late, { id: 'c2', createdAt: 0, exited: undefined }, facts96);
  assert.equal(fault.code, 'MEMORY_LIMIT_EXCEEDED');
  assert.equal(late.calls.filter((c) => c === 'oomEventSince').length, 3);

  const plain = probe({ exit: killed });
  const crash = await explainExit(plain, { id: 'c3', createdAt: 0, exited: undefined }, facts96);
  assert.equal(crash.code, 'FUNCTION_CRASHED');
  assert.match(crash.message, /killed \(signal 9\)/);

  const ours = probe({ exit: killed, oomEvents: [true] });
  const timedOut = { removedBy: 'timeout' as const, memoryMb: 96 };
  const killedByUs = await explainExit(
    ours,
    { id: 'c6', createdAt: 0, exited: undefined },
    timedOut,
  );
  assert.equal(killedByUs.code, 'FUNCTION_CRASHED');
  assert.ok(!ours.calls.includes('oomEventSince'), 'the node killed it for a deadline: not asked');
});

test('a container still running after the wait, with a counted OOM kill, is MEMORY_LIMIT_EXCEEDED', async () => {
  const engine = probe({ oomKills: 1 });
  const never = new Promise<void>(() => undefined);
  const fault = await explainExit(engine, { id: 'c4', createdAt: 0, exited: never }, facts96, 20);
  assert.equal(fault.code, 'MEMORY_LIMIT_EXCEEDED');
  const silent = probe({ oomKills: 0 });
  const stopped = await explainExit(silent, { id: 'c5', createdAt: 0, exited: never }, facts96, 20);
  assert.match(stopped.message, /stopped answering/);
});

test("the OOM-kill count is read from the container's memory cgroup, v1 or v2", async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'fjord-cgroup-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const v1 = join(root, 'memory', 'docker', 'abc');
  await mkdir(v1, { recursive: true });
  await writeFile(join(v1, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n');
  assert.equal(oomKillCount('abc', root), 3);
  const v2 = join(root, 'system.slice', 'docker-def.scope');
  await mkdir(v2, { recursive: true });
  await writeFile(join(v2, 'memory.events'), 'low 0\nhigh 0\nmax 5\noom 1\noom_kill 0\n');
  assert.equal(oomKillCount('def', root), 0);
  assert.equal(oomKillCount('gone', root), undefined, 'a removed cgroup is unknown');
});
