// redirect: short links. `curl -i http://127.0.0.1:8080/fn/redirect/docs` answers 302 with a
// Location; `?permanent` makes it a 301; unknown slugs are 404. The query string is kept.
const LINKS: Record<string, string> = {
  docs: 'https://developers.cloudflare.com/workers/',
  hono: 'https://hono.dev/',
  rfc9110: 'https://www.rfc-editor.org/rfc/rfc9110.html#name-redirection-3xx',
};

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const slug = url.pathname.replace(/^\/+|\/+$/g, '');
    const target = Object.hasOwn(LINKS, slug) ? LINKS[slug] : undefined;
    if (target === undefined) {
      return Response.json(
        { error: `no short link "${slug}"`, known: Object.keys(LINKS) },
        { status: 404 },
      );
    }
    const location = new URL(target);
    url.searchParams.delete('permanent');
    for (const [name, value] of url.searchParams) location.searchParams.append(name, value);
    return Response.redirect(
      location.href,
      new URL(request.url).searchParams.has('permanent') ? 301 : 302,
    );
  },
} satisfies FjordHandler;
