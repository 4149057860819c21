/**
 * The messages between the isolate host executor (parent) and one host process (child), over
 * Node's IPC channel as JSON: every field is plain data (errors travel as their data). JSON, not
 * the 'advanced' (structured clone) serialization: for these small messages V8's serializer took
 * about three times the CPU of JSON.stringify/parse on each side (bench/micro/isolate-host-hop.ts).
 * One message each way per invocation (invocations sent, and outcomes finished, in the same event
 * loop turn share one; lease notices ride with the outcomes); bundle code crosses once per bundle
 * and child (the child asks for it by sha and caches it), never with every invocation.
 */
import type { ErrorData } from '../../core/errors.ts';
import type { ExecutionOutcome, InvocationContext } from '../../core/executor.ts';
import type { FunctionSpec, InvocationPayload, QueueSend } from '../../core/messages.ts';
import type { IsolateExecutorOptions, LiveLogEvent } from '../isolate/isolate-executor.ts';

/** The IsolateExecutor options that survive a trip through IPC (no functions). */
export type HostedExecutorOptions = Omit<
  IsolateExecutorOptions,
  'loadCode' | 'lookup' | 'onLog' | 'logger' | 'publishQueue'
>;

/** What the parent sends first: the child builds its IsolateExecutor from it. */
export interface HostInit {
  type: 'init';
  options: HostedExecutorOptions;
  /** Forward every console line as it happens (the parent has an onLog listener). */
  liveLogs: boolean;
}

export type ParentMessage =
  | HostInit
  | {
      type: 'invoke';
      id: number;
      fn: FunctionSpec;
      payload: InvocationPayload;
      ctx: InvocationContext;
    }
  /** Invocations dispatched in the same event loop turn (invoke-batch.ts). */
  | { type: 'invokes'; invocations: Extract<ParentMessage, { type: 'invoke' }>[] }
  | { type: 'prewarm'; id: number; fn: FunctionSpec; count: number }
  | { type: 'evict'; id: number; name: string; keepVersion?: number }
  /** A FjordError travels as its data; any other error as its message. */
  | { type: 'code'; id: number; code?: string; error?: ErrorData | { message: string } }
  /** The parent published the sends of the child's `queue` request, or `error` says why not. */
  | { type: 'queue'; id: number; error?: ErrorData }
  | { type: 'dispose' };

/** Log levels a child forwards to the parent's logger. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type ChildMessage =
  /** The executor is built and takes work. */
  | { type: 'ready' }
  /**
   * Outcomes of invocations, those finished in the same event loop turn together
   * (outcome-batch.ts). `instances` piggybacks on every reply so that the parent's stats() stays
   * synchronous. `leased` lists the invocations that got their isolate since the last message,
   * each with the epoch ms its run must end by; a notice comes before (or with) its outcome.
   */
  | {
      type: 'outcomes';
      results: { id: number; outcome: ExecutionOutcome }[];
      leased?: [id: number, runDeadline: number][];
      instances: number;
    }
  | { type: 'done'; id: number; instances: number }
  /** The child needs a bundle's code. */
  | { type: 'code'; id: number; sha: string }
  /** A function's ctx.queues sends, for the parent (which holds the broker) to publish. */
  | { type: 'queue'; id: number; sends: QueueSend[] }
  | { type: 'live-log'; event: LiveLogEvent }
  | { type: 'log'; level: LogLevel; obj: object; msg?: string };
