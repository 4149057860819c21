// hmac-webhook: receives webhooks signed like GitHub's: header `X-Signature-256: sha256=<hex>`,
// an HMAC-SHA256 of the raw body with a shared secret. The signature is checked with
// crypto.subtle.verify (constant time) before the body is trusted. Try:
//   body='{"type":"ping"}'
//   sig=$(printf %s "$body" | openssl dgst -sha256 -hmac replace-this-secret | cut -d' ' -f2)
//   curl -X POST -H "X-Signature-256: sha256=$sig" -d "$body" http://127.0.0.1:8080/fn/hmac-webhook
interface Env {
  WEBHOOK_SECRET: string;
}

const encoder = new TextEncoder();

function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^([0-9a-f]{2})+$/i.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

async function verified(
  secret: string,
  body: ArrayBuffer,
  header: string | null,
): Promise<boolean> {
  const signature = header?.startsWith('sha256=') ? fromHex(header.slice('sha256='.length)) : null;
  if (signature === null) return false;
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  return crypto.subtle.verify('HMAC', key, signature, body);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== 'POST') {
      return Response.json(
        { error: 'POST a signed webhook' },
        { status: 405, headers: { allow: 'POST' } },
      );
    }
    // Verify the exact bytes that were signed, before parsing anything.
    const body = await request.arrayBuffer();
    if (!(await verified(env.WEBHOOK_SECRET, body, request.headers.get('x-signature-256')))) {
      return Response.json({ error: 'missing or invalid X-Signature-256' }, { status: 401 });
    }
    let event: { type?: unknown };
    try {
      event = JSON.parse(new TextDecoder().decode(body)) as { type?: unknown };
    } catch {
      return Response.json({ error: 'the body is not JSON' }, { status: 400 });
    }
    console.log('webhook received', event.type);
    return Response.json({ received: typeof event.type === 'string' ? event.type : 'unknown' });
  },
} satisfies FjordHandler<Env>;
