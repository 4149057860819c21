// echo: answers with what it received. Deploy with `fn deploy functions/echo`, then
// `curl -X POST -d 'hi' http://127.0.0.1:8080/fn/echo/some/path?x=1`.
export default {
  async fetch(request: Request, _env: Env, ctx: Context): Promise<Response> {
    const url = new URL(request.url);
    return Response.json({
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(request.headers),
      body: request.method === 'GET' || request.method === 'HEAD' ? null : await request.text(),
      callId: ctx.callId,
    });
  },
} satisfies FjordHandler;
