/**
 * When amqplib's frames leave, and in how many writes. amqplib writes every frame (a publish is
 * three: method, header, body) to the socket separately, and with `noDelay` each write is its
 * own syscall and, mostly, its own TCP segment. Corking the socket on the first write of a tick
 * and uncorking on process.nextTick sends everything written in that tick in one writev, without
 * Nagle's delay: the bytes leave at the end of the same tick, so no confirm or reply waits longer.
 *
 * Frames reach the socket through amqplib's Mux, which moves them from the channels' buffers on
 * setImmediate: after the rest of the event loop's poll phase, so that one write carries the
 * frames of many callbacks. On a connection that wrote nothing for a while that batching has
 * nothing to gather, and the wait only delays a lone publish (a sync call, its reply): such a
 * publish leaves at the end of its own tick instead.
 */
import { Socket } from 'node:net';
import type { ChannelModel } from 'amqplib';

/** A connection that wrote nothing for this long is idle: its next frames leave at once. */
const IDLE_MS = 0.5;

interface Mux {
  scheduledRead?: unknown;
  _scheduleRead?: unknown;
  _readIncoming?: unknown;
}

/**
 * Coalesces the writes of `model`'s connection; a no-op when amqplib's socket or Mux is not
 * where amqplib 2.x keeps them (`connection.stream`, `connection.muxer`), so an upgrade can only
 * lose the optimisation. `idleMs` is for tests.
 */
export function coalesceWrites(model: ChannelModel, idleMs = IDLE_MS): boolean {
  const connection = model.connection as { stream?: unknown; muxer?: Mux };
  const socket = connection.stream;
  if (!(socket instanceof Socket)) return false;
  const write = socket.write.bind(socket);
  let corked = false;
  let lastWriteAt = -Infinity;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: Parameters<Socket['write']>): boolean => {
    lastWriteAt = performance.now();
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return (write as (...a: unknown[]) => boolean)(...args);
  }) as Socket['write'];
  flushIdleAtOnce(connection.muxer, () => performance.now() - lastWriteAt >= idleMs);
  return true;
}

/** Makes `mux` move frames on process.nextTick instead of setImmediate while `idle()`. */
function flushIdleAtOnce(mux: Mux | undefined, idle: () => boolean): void {
  const scheduleRead = mux?._scheduleRead;
  const readIncoming = mux?._readIncoming;
  if (mux === undefined || typeof scheduleRead !== 'function') return;
  if (typeof readIncoming !== 'function' || typeof mux.scheduledRead !== 'boolean') return;
  mux._scheduleRead = () => {
    if (mux.scheduledRead === true) return;
    if (!idle()) return void scheduleRead.call(mux);
    mux.scheduledRead = true;
    process.nextTick(() => {
      mux.scheduledRead = false;
      readIncoming.call(mux);
    });
  };
}
