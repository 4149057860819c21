/**
 * The fetch handler every sync-latency target serves: Fjord (bundled into an isolate), workerd
 * (bundled as an ES module) and the bare Koa anchor (imported as is). A little real work (parse
 * the URL, build a JSON response) so no target can answer from a shortcut.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = JSON.stringify({ ok: true, path: url.pathname, n: url.searchParams.get('n') });
    return new Response(body, { headers: { 'content-type': 'application/json' } });
  },
};
