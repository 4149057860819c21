// An HTTP function. `fn deploy` uploads it; it then answers on <gateway>/fn/<name>/...
// (the /fn/<name> prefix is removed from request.url, so route on your own paths).
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    ctx.log.info(`${request.method} ${url.pathname}`);
    const name = url.searchParams.get('name') ?? 'world';
    return Response.json({ message: `${env.GREETING ?? 'hello'} ${name}`, path: url.pathname });
  },
} satisfies FjordHandler;
