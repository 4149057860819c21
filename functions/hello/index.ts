// hello: the smallest HTTP function. `fn up` deploys it; try `curl http://127.0.0.1:8080/fn/hello`
// or `curl 'http://127.0.0.1:8080/fn/hello?name=Ada'`.
export default {
  async fetch(request: Request): Promise<Response> {
    const name = new URL(request.url).searchParams.get('name') ?? 'world';
    return new Response(`hello ${name} from fjord\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  },
} satisfies FjordHandler;
