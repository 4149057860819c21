import type { InvocationMessage, InvocationResult } from '../core/messages.ts';

/**
 * The `Server-Timing` value of a finished invocation: `queue` from acceptance to the start on a
 * node, `exec` the run itself, in ms. Clocks of different hosts may disagree by a little, so
 * neither is ever negative.
 */
export function serverTiming(message: InvocationMessage, result: InvocationResult): string {
  const queue = Math.max(0, result.startedAt - message.acceptedAt);
  const exec = Math.max(0, result.endedAt - result.startedAt);
  return `queue;dur=${queue}, exec;dur=${exec}`;
}
