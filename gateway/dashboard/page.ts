import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { GatewayContext, GatewayRouter } from '../gateway-context.ts';

const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));

/**
 * Everything the page loads comes from the gateway itself: no inline script or style, no CDN,
 * no external font, so the policy can be `'self'` throughout.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The page: a shell the script fills in. It holds no data and no token. */
const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fjord</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<noscript>The Fjord dashboard needs JavaScript.</noscript>
</body>
</html>
`;

/**
 * `GET /` (the dashboard), `GET /dashboard/app.js` and `GET /dashboard/app.css`. None needs a
 * token: the page holds nothing, and its script logs in and reads through the control API. The
 * script is TypeScript (./app/), bundled with esbuild on its first request and kept.
 */
export function registerPageRoutes(router: GatewayRouter): void {
  let script: Promise<string> | undefined;
  let style: Promise<string> | undefined;
  const bundle = (): Promise<string> => {
    script ??= bundleScript().catch((error: unknown) => {
      script = undefined; // a failed build is tried again on the next request
      throw error;
    });
    return script;
  };

  router.get('/', (ctx) => {
    secure(ctx);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = HTML;
  });
  router.get('/dashboard/app.js', async (ctx) => {
    const text = await bundle();
    secure(ctx);
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = text;
  });
  router.get('/dashboard/app.css', async (ctx) => {
    style ??= readFile(`${APP_DIR}style.css`, 'utf8');
    const text = await style;
    secure(ctx);
    ctx.type = 'text/css; charset=utf-8';
    ctx.body = text;
  });
}

function secure(ctx: GatewayContext): void {
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  // Small and rebuilt on every gateway start: revalidating costs little and never serves stale code.
  ctx.set('Cache-Control', 'no-cache');
}

async function bundleScript(): Promise<string> {
  const result = await build({
    entryPoints: [`${APP_DIR}main.ts`],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no dashboard script');
  return output.text;
}
