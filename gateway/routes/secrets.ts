import type { SecretListResponse, SecretValuesResponse, SecretView } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { SecretInfo } from '../../core/secrets.ts';
import { SecretVault } from '../../core/secrets-vault.ts';
import type { GatewayContext, GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { authenticate, requireScope } from '../middleware/auth.ts';
import { readBody } from '../middleware/read-body.ts';
import { functionName, isPlainObject } from './params.ts';

/**
 * Secrets of a function (core/secrets.ts). Deploy tokens set, list and remove them; no control
 * route ever answers a value. Runtime nodes, and only they (not even admin tokens), read the
 * values a function version declares, per invocation.
 */
export function registerSecretRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  const vault = new SecretVault(deps.store, deps.secretsCipher);
  const deploy = requireScope(deps.tokens, 'deploy');

  router.get('/v1/functions/:name/secrets', deploy, async (ctx) => {
    const secrets = await vault.list(functionName(ctx.params));
    ctx.body = { secrets: secrets.map(toView) } satisfies SecretListResponse;
  });

  router.put('/v1/functions/:name/secrets/:key', deploy, async (ctx) => {
    const name = functionName(ctx.params);
    const value = await readValue(ctx, deps.limits.control);
    ctx.body = toView(await vault.set(name, ctx.params.key ?? '', value)) satisfies SecretView;
  });

  router.delete('/v1/functions/:name/secrets/:key', deploy, async (ctx) => {
    await vault.remove(functionName(ctx.params), ctx.params.key ?? '');
    ctx.status = 204;
  });

  router.get('/v1/functions/:name/versions/:version/secret-values', async (ctx) => {
    const token = await authenticate(ctx, deps.tokens, ['node']);
    if (token.scope !== 'node') {
      throw new FjordError('FORBIDDEN', 'only runtime nodes (a "node" token) read secret values');
    }
    const name = functionName(ctx.params);
    const declared = await declaredSecrets(deps, name, Number(ctx.params.version));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { values: await vault.reveal(name, declared) } satisfies SecretValuesResponse;
  });
}

/** The secrets version `version` of `name` declares, from the active version when it is that. */
async function declaredSecrets(
  deps: GatewayDeps,
  name: string,
  version: number,
): Promise<string[]> {
  const active = await deps.functions.get(name);
  if (active?.record.activeVersion === version) return active.record.active.manifest.secrets ?? [];
  const found = (await deps.store.listVersions(name)).find((v) => v.version === version);
  if (found === undefined) {
    throw new FjordError('VERSION_NOT_FOUND', `function ${name} has no version ${version}`);
  }
  return found.manifest.secrets ?? [];
}

/**
 * `{"value": "..."}`. Parsed here rather than with readJson: a parse error must not quote the
 * body back, as it would the secret.
 */
async function readValue(ctx: GatewayContext, limit: number): Promise<string> {
  const raw = await readBody(ctx, limit);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new FjordError('INVALID_JSON', 'request body is not valid JSON: send {"value": "..."}');
  }
  if (!isPlainObject(body) || typeof body.value !== 'string') {
    throw new FjordError(
      'BAD_REQUEST',
      'request body must be {"value": "..."} with a string value',
    );
  }
  return body.value;
}

function toView(info: SecretInfo): SecretView {
  return { key: info.key, updatedAt: new Date(info.updatedAt).toISOString() };
}
