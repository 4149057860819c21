// json-api: a small JSON API with its own router. Deploy with `fn deploy functions/json-api`,
// then `curl http://127.0.0.1:8080/fn/json-api/items` or `curl .../fn/json-api/items/2`.
interface Item {
  id: number;
  name: string;
}

const ITEMS: readonly Item[] = [
  { id: 1, name: 'fjord' },
  { id: 2, name: 'glacier' },
  { id: 3, name: 'skerry' },
];

type Route = (match: RegExpExecArray, request: Request, env: Env) => Response;

/** Method and path pattern to handler; the gateway strips `/fn/json-api`, so paths start at `/`. */
const ROUTES: [method: string, path: RegExp, route: Route][] = [
  ['GET', /^\/$/, (_match, _request, env) => Response.json({ version: env.API_VERSION ?? '1' })],
  ['GET', /^\/items$/, () => Response.json({ items: ITEMS })],
  [
    'GET',
    /^\/items\/(\d+)$/,
    (match) => {
      const item = ITEMS.find((candidate) => candidate.id === Number(match[1]));
      return item ? Response.json(item) : notFound(`no item ${match[1]}`);
    },
  ],
];

function notFound(message: string): Response {
  return Response.json({ error: { code: 'NOT_FOUND', message } }, { status: 404 });
}

export default {
  async fetch(request, env): Promise<Response> {
    const { pathname } = new URL(request.url);
    for (const [method, path, route] of ROUTES) {
      const match = path.exec(pathname);
      if (match && method === request.method) return route(match, request, env);
    }
    return notFound(`no route for ${request.method} ${pathname}`);
  },
} satisfies FjordHandler;
