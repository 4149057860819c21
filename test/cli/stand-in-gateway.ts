/**
 * A stand-in gateway for CLI tests: answers each "METHOD /path" with a reply the test sets, as
 * core/api.ts says the real one would, and records what the CLI sent.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { text } from 'node:stream/consumers';
import { FUNCTION_COMMANDS } from '../../cli/commands/index.ts';
import { runCli } from '../../cli/main.ts';
import { memoryIo } from './memory-io.ts';

export interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export interface StandInGateway {
  url: string;
  /** Every request, oldest first. */
  seen: Seen[];
  /** What to answer, by "METHOD /path"; anything else gets `notFound`. */
  replies: Map<string, Reply>;
  /** Runs `fn ARGS...` in `cwd` against this gateway with token "secret". */
  fn(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): void;
}

export async function startStandInGateway(notFound: Reply): Promise<StandInGateway> {
  const seen: Seen[] = [];
  const replies = new Map<string, Reply>();
  const server = createServer((request, response) => {
    void text(request).then((body) => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        body,
      });
      const reply = replies.get(`${request.method} ${request.url}`) ?? notFound;
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    seen,
    replies,
    async fn(cwd, ...args) {
      const io = memoryIo({ cwd, env: { FN_GATEWAY: url, FN_TOKEN: 'secret' } });
      const code = await runCli(args, { commands: FUNCTION_COMMANDS, version: 'test' }, io);
      return { code, stdout: io.out(), stderr: io.err() };
    },
    close: () => server.close(),
  };
}
