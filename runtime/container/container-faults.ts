/** How the failures of a container (as opposed to the function's own errors) are reported. */
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { ContainerExit, DockerEngine } from './docker-engine.ts';

/** Why the executor removed a container. */
export type RemoveReason =
  /** An invocation ran past its deadline. */
  | 'timeout'
  /** The container exited, failed to start or load, or answered nonsense. */
  | 'broken'
  /** Its function version was replaced by a deploy or deleted. */
  | 'evicted'
  /** Idle for longer than the idle timeout. */
  | 'reaped'
  /** The executor is shutting down. */
  | 'shutdown';

/** V8's own heap limit ends Node with one of these before the kernel's OOM killer steps in. */
const HEAP_EXHAUSTED = /heap out of memory|Reached heap limit|Allocation failed/i;

/**
 * Exit codes of a process that ended by abort(), a trap or a fault (SIGILL, SIGTRAP, SIGABRT,
 * SIGSEGV), which is how V8 ends Node when its heap is exhausted.
 */
const ABORT_EXITS = new Set([132, 133, 134, 139]);

/**
 * Whether an exit could still turn out to be V8's heap exhaustion once more of the container's
 * output is read: an abort-like exit whose output so far lacks the message.
 */
export function mayBeHeapExhaustion(exit: ContainerExit | undefined, output: string): boolean {
  return (
    exit !== undefined &&
    !exit.oomKilled &&
    ABORT_EXITS.has(exit.exitCode) &&
    !HEAP_EXHAUSTED.test(output)
  );
}

/** How long a crash's explanation waits for docker to have copied the container's last output. */
const OUTPUT_WAIT_MS = 1000;

/**
 * The container's last output, read again for a moment while the exit may still be V8's heap
 * exhaustion whose message docker has not copied to the log yet (it does so asynchronously).
 */
export async function settledOutput(
  exit: ContainerExit | undefined,
  output: string,
  read: () => Promise<string>,
): Promise<string> {
  const deadline = performance.now() + OUTPUT_WAIT_MS;
  let last = output;
  while (mayBeHeapExhaustion(exit, last) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await read();
  }
  return last;
}

/** The exit code of a process ended by SIGKILL, which is how the kernel's OOM killer ends it. */
const SIGKILL_EXIT = 128 + 9;

/** What is known of how a container ended, beside its exit. */
export interface ExitFacts {
  removedBy: RemoveReason | undefined;
  memoryMb: number;
  lastOutput: string;
  /**
   * OOM kills counted by the container's memory cgroup, read as the container stopped answering;
   * undefined when it could not be read.
   */
  oomKills?: number | undefined;
  /** The engine logged an `oom` event for the container. */
  oomEvent?: boolean | undefined;
}

/**
 * Whether a SIGKILL is not yet explained by Docker's flag or the cgroup's count, so that the
 * engine's events are worth asking: its OOM notice may have come after the exit was recorded.
 */
export function unexplainedKill(exit: ContainerExit | undefined, oomKills?: number): boolean {
  return (
    exit !== undefined && exit.exitCode === SIGKILL_EXIT && !exit.oomKilled && (oomKills ?? 0) === 0
  );
}

/**
 * Whether the kernel's OOM killer stopped the container: Docker says so, or the container's
 * cgroup counted an OOM kill (which Docker's flag misses when containerd's notice comes late or
 * is lost), or the container ended by SIGKILL and the engine logged an `oom` event for it.
 */
function killedForMemory(exit: ContainerExit | undefined, facts: ExitFacts): boolean {
  if (exit?.oomKilled === true || (facts.oomKills ?? 0) > 0) return true;
  return exit?.exitCode === SIGKILL_EXIT && facts.oomEvent === true;
}

/**
 * Explains why a container stopped answering: out of memory (the kernel's OOM killer or V8's heap
 * limit), removed by the node itself, or a crash with its exit code.
 */
export function exitFault(exit: ContainerExit | undefined, facts: ExitFacts): ErrorData {
  if (facts.removedBy === 'shutdown' || facts.removedBy === 'evicted') {
    return new FjordError(
      'FUNCTION_CRASHED',
      'the node stopped this function during the invocation',
      { retryable: true },
    ).toData();
  }
  if (killedForMemory(exit, facts) || HEAP_EXHAUSTED.test(facts.lastOutput)) {
    return new FjordError(
      'MEMORY_LIMIT_EXCEEDED',
      `function exceeded its memory limit of ${facts.memoryMb} MB`,
    ).toData();
  }
  const how =
    exit === undefined
      ? 'stopped answering'
      : exit.exitCode > 128
        ? `was killed (signal ${exit.exitCode - 128})`
        : `exited with code ${exit.exitCode}`;
  return new FjordError('FUNCTION_CRASHED', `the function's container ${how}`).toData();
}

/**
 * Output lines read to explain a crash. V8's heap exhaustion prints its FATAL ERROR line before a
 * native stack trace of 10 to 30 frames (and the shim may log after it), so a short tail can miss
 * the line that tells an out-of-memory from any other abort.
 */
const TAIL_LINES = 200;

/**
 * How long a crash's explanation waits for docker to record the exit. Docker records it only
 * after deleting the task and waiting up to 2 s for the container's output to be copied, which a
 * loaded machine stretches: a shorter wait would find the container still running and explain
 * nothing ("stopped answering").
 */
const EXIT_WAIT_MS = 10_000;

/** The engine calls that tell how a container ended. */
export type ExitProbe = Pick<
  DockerEngine,
  'oomKills' | 'inspectExit' | 'logsTail' | 'oomEventSince'
>;

/**
 * Explains why a container stopped answering, from the facts read in the order they vanish or
 * appear: the cgroup's OOM-kill count at once (docker removes the cgroup as it records the exit),
 * then, once the container ended (`exited`, waited on for up to `waitMs`), Docker's exit code and
 * OOM flag and the last output, and, only for a SIGKILL still unexplained, the engine's `oom`
 * event (waited on for a moment: containerd's OOM notice may come after the exit).
 */
export async function explainExit(
  engine: ExitProbe,
  container: { id: string; createdAt: number; exited: Promise<void> | undefined },
  facts: { removedBy: RemoveReason | undefined; memoryMb: number },
  waitMs = EXIT_WAIT_MS,
): Promise<ErrorData> {
  const { id } = container;
  const oomKills = engine.oomKills(id);
  if (container.exited !== undefined) {
    await Promise.race([container.exited, new Promise((r) => setTimeout(r, waitMs).unref())]);
  }
  const read = () => engine.logsTail(id, TAIL_LINES);
  const [exit, output] = await Promise.all([engine.inspectExit(id), read()]);
  const lastOutput = await settledOutput(exit, output, read);
  // A container the node killed for a deadline ended by its SIGKILL: no notice to wait for.
  const oomEvent =
    facts.removedBy !== 'timeout' && unexplainedKill(exit, oomKills)
      ? await oomEventSoon(engine, container)
      : undefined;
  return exitFault(exit, { ...facts, lastOutput, oomKills, oomEvent });
}

/** How long a SIGKILL's explanation waits for containerd's late OOM notice to reach the engine. */
const OOM_EVENT_WAIT_MS = 1000;

/** Whether the engine logs an `oom` event for the container within a moment. */
async function oomEventSoon(
  engine: ExitProbe,
  container: { id: string; createdAt: number },
): Promise<boolean> {
  const deadline = performance.now() + OOM_EVENT_WAIT_MS;
  for (;;) {
    if (await engine.oomEventSince(container.id, container.createdAt)) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A bundle that could not be fetched: its own error, or a retryable INTERNAL one. */
export function fetchFailure(error: unknown): ErrorData {
  const data = FjordError.from(error);
  const message = `could not start a container: ${String(error)}`;
  return data.code === 'INTERNAL'
    ? new FjordError('INTERNAL', message, { retryable: true }).toData()
    : data.toData();
}
