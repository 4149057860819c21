import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import type { SequencedEvent } from '../events.ts';
import { requireScope } from '../middleware/auth.ts';

/** How long a browser waits before reconnecting a dropped stream (the SSE `retry` field). */
const RECONNECT_MS = 2000;

/**
 * `GET /v1/events`: this gateway's live events as server-sent events (`event: TYPE`, `id: SEQ`,
 * `data: JSON`), with a comment line while idle. There is no replay (`Last-Event-ID` is
 * ignored): a reconnecting client reloads `GET /v1/overview`. A client that reads too slowly is
 * disconnected once `eventBufferBytes` wait for it, so it costs the gateway bounded memory.
 */
export function registerEventRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  const { events, logger } = deps;
  const { eventHeartbeatMs, eventBufferBytes } = deps.dashboard;

  router.get('/v1/events', requireScope(deps.tokens, 'invoke'), (ctx) => {
    const { req, res } = ctx;
    if (events.closed) {
      // The gateway is stopping. 204 tells EventSource not to reconnect here, and closing the
      // connection keeps a browser from holding the stopping server open with retries.
      ctx.set('Connection', 'close');
      ctx.status = 204;
      return;
    }
    // The stream is written by hand: Koa must neither send a body nor end the response.
    ctx.respond = false;
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx would otherwise buffer the stream and deliver it in lumps.
      'x-accel-buffering': 'no',
    });

    let open = true;
    let heartbeat: NodeJS.Timeout | undefined;
    let unsubscribe = (): void => {};
    const close = (): void => {
      if (!open) return;
      open = false;
      unsubscribe();
      clearInterval(heartbeat);
    };
    const send = (chunk: string): void => {
      if (!open) return;
      if (res.writableLength > eventBufferBytes) {
        logger.warn(
          { callId: ctx.state.callId, buffered: res.writableLength },
          'event stream client too slow: disconnected',
        );
        close();
        res.destroy();
        return;
      }
      res.write(chunk);
    };

    res.on('close', close);
    send(`retry: ${RECONNECT_MS}\n: connected\n\n`);
    // The hub closes when the gateway stops: the stream ends then, so the server can close.
    unsubscribe = events.subscribe(
      (event) => send(formatEvent(event)),
      () => {
        close();
        // Ending the connection too: a kept-alive one would carry the browser's reconnect.
        res.end(() => req.socket.end());
      },
    );
    if (open) heartbeat = setInterval(() => send(': heartbeat\n\n'), eventHeartbeatMs);
  });
}

/** One event in the text/event-stream format; JSON never contains a raw newline. */
export function formatEvent(event: SequencedEvent): string {
  return `event: ${event.type}\nid: ${event.seq}\ndata: ${JSON.stringify(event.data)}\n\n`;
}
