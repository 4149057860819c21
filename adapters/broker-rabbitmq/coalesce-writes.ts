/**
 * One write() per tick instead of one per AMQP frame. amqplib writes every frame (a publish is
 * three: method, header, body) to the socket separately, and with `noDelay` each write is its
 * own syscall and, mostly, its own TCP segment. Corking the socket on the first write of a tick
 * and uncorking on process.nextTick sends everything written in that tick in one writev, without
 * Nagle's delay: the bytes leave at the end of the same tick, so no confirm or reply waits longer.
 */
import { Socket } from 'node:net';
import type { ChannelModel } from 'amqplib';

/**
 * Coalesces the writes of `model`'s connection; a no-op when amqplib's socket is not where
 * amqplib 2.x keeps it (`connection.stream`), so an upgrade can only lose the optimisation.
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const socket = (model.connection as { stream?: unknown }).stream;
  if (!(socket instanceof Socket)) return false;
  const write = socket.write.bind(socket);
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: Parameters<Socket['write']>): boolean => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return (write as (...a: unknown[]) => boolean)(...args);
  }) as Socket['write'];
  return true;
}
