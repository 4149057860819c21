// streaming-text: a response body produced as a ReadableStream, one line at a time, the way a
// Workers function streams. `curl 'http://127.0.0.1:8080/fn/streaming-text?lines=5'`.
// In this version of Fjord the runtime reads the stream to its end and sends the response in one
// piece: the client sees every line, but only once the last one is written.
export default {
  async fetch(request: Request): Promise<Response> {
    const lines = Math.min(
      100,
      Math.max(1, Number(new URL(request.url).searchParams.get('lines')) || 3),
    );
    const encoder = new TextEncoder();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        sent += 1;
        controller.enqueue(encoder.encode(`line ${sent} of ${lines}\n`));
        if (sent === lines) controller.close();
      },
    });
    return new Response(body.pipeThrough(new TransformStream()), {
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-lines': String(lines) },
    });
  },
} satisfies FjordHandler;
