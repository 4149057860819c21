/** A server-sent events client for tests: every event and comment, in order, in an Inbox. */
import { Inbox } from '../support/inbox.ts';

export interface SseMessage {
  /** `comment` for `: ...` lines (heartbeats), else the event name (`message` by default). */
  event: string;
  data: string;
  id?: string;
}

export interface SseStream {
  response: Response;
  messages: Inbox<SseMessage>;
  /** Resolves when the server ends the stream (or drops the connection). */
  ended: Promise<void>;
  /** Waits for the next event named `event`, skipping others; fails at the deadline. */
  next(event: string, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

/** Opens `url` and parses what arrives; the response status is checked by the caller. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const messages = new Inbox<SseMessage>();
  const ended = (async () => {
    if (response.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          parseBlock(block, messages.push);
        }
      }
    } catch {
      // Aborted by close() or dropped by the server: both end the stream.
    }
  })();
  const next = async (event: string, timeoutMs = 5000): Promise<SseMessage> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await messages.next(Math.max(1, deadline - Date.now()), `event ${event}`);
      if (message.event === event) return message;
    }
  };
  return { response, messages, ended, next, close: () => abort.abort() };
}

function parseBlock(block: string, push: (message: SseMessage) => void): void {
  let event = 'message';
  const data: string[] = [];
  let id: string | undefined;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) push({ event: 'comment', data: line.slice(1).trim() });
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
    else if (line.startsWith('id: ')) id = line.slice(4);
  }
  if (data.length > 0) push({ event, data: data.join('\n'), ...(id === undefined ? {} : { id }) });
}
