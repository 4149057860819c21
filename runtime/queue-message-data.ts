import type { QueueMessage } from '../core/broker.ts';
import type { QueueMessageData } from '../core/messages.ts';

/** `application/json` and `application/*+json`, whatever their parameters. */
function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType);
}

/**
 * A message as the function receives it. The body is decoded by its content type, as Cloudflare
 * Queues does it for its own types: JSON is parsed (a body that does not parse arrives as text),
 * text/* arrives as a string, anything else (no content type included) as bytes.
 */
export function toMessageData(message: QueueMessage): QueueMessageData {
  const mediaType = (message.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const bytes = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
  let body: QueueMessageData['body'];
  if (isJson(mediaType)) {
    const text = bytes.toString('utf8');
    try {
      body = { json: JSON.parse(text) as unknown };
    } catch {
      body = { text };
    }
  } else if (mediaType.startsWith('text/')) body = { text: bytes.toString('utf8') };
  else body = { base64: bytes.toString('base64') };
  return {
    id: message.id,
    timestamp: message.timestamp,
    attempts: message.attempts,
    headers: message.headers,
    ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
    body,
  };
}
