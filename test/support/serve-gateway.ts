/**
 * Starts a gateway and serves its Koa app on 127.0.0.1 on a free port, as `fn gateway` would.
 * When the test ends the server closes, then the gateway stops; cleanups the caller registers
 * after this call run after that (node:test runs `t.after` hooks in order), so a store or broker
 * closed there outlives the gateway that uses it.
 */
import type { TestContext } from 'node:test';
import type { Gateway } from '../../gateway/gateway.ts';
import { listen } from '../../server/listen.ts';

/** Returns the base URL, e.g. http://127.0.0.1:40123. */
export async function serveGateway(t: TestContext, gateway: Gateway): Promise<string> {
  await gateway.start();
  const handle = gateway.app.callback();
  const http = await listen((req, res) => void handle(req, res), 0, '127.0.0.1');
  t.after(async () => {
    await http.close();
    await gateway.stop();
  });
  return http.url;
}
