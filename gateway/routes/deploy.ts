import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { DeployResponse } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import { toFunctionSpec } from '../../core/function-spec.ts';
import type { FunctionRecord } from '../../core/store.ts';
import { checkBundle } from '../bundle-check.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';
import { readJson } from '../middleware/read-body.ts';
import { toFunctionView } from '../views.ts';
import { functionName, isPlainObject } from './params.ts';

/**
 * `PUT /v1/functions/NAME` with a DeployRequest: validates the manifest (errors name the field)
 * and the bundle, then makes a new active version. A deploy identical to the active version
 * (same manifest with defaults applied, same bundle bytes) creates nothing and answers 200 with
 * `created: false`, so redeploying in CI is free and a retried deploy is safe.
 */
export function registerDeployRoute(router: GatewayRouter, deps: GatewayDeps): void {
  router.put('/v1/functions/:name', requireScope(deps.tokens, 'deploy'), async (ctx) => {
    const name = functionName(ctx.params);
    const body = await readJson(ctx, deps.limits.deploy);
    const { record, created } = await deploy(deps, name, body);
    ctx.status = created ? 201 : 200;
    ctx.set('Location', `/v1/functions/${name}`);
    ctx.body = { function: toFunctionView(record, deps.now()), created } satisfies DeployResponse;
  });
}

async function deploy(
  deps: GatewayDeps,
  name: string,
  body: unknown,
): Promise<{ record: FunctionRecord; created: boolean }> {
  if (!isPlainObject(body)) {
    throw new FjordError(
      'BAD_REQUEST',
      'expected a JSON object {"manifest": {...}, "bundle": "..."}',
    );
  }
  const manifest = deps.validateManifest(body.manifest, 'manifest');
  if (manifest.name !== name) {
    throw new FjordError(
      'INVALID_MANIFEST',
      `manifest: field "name" is "${manifest.name}" but the URL deploys "${name}"`,
    );
  }
  const bundle = checkBundle(body.bundle);
  const sha = createHash('sha256').update(bundle, 'utf8').digest('hex');
  const { store, broker } = deps;

  const current = await store.getFunction(name);
  const unchanged =
    current !== undefined &&
    current.active.bundleSha === sha &&
    isDeepStrictEqual(current.active.manifest, manifest);
  // The queue exists before the version does: a version stored while the broker is down would
  // accept invocations with nowhere to put them. Declaring is idempotent.
  await broker.declareFunction(name);
  // A queue trigger's queue too: it keeps what is published before a node consumes it.
  const trigger = manifest.triggers.queue;
  if (trigger !== undefined) {
    if (broker.queues === undefined) {
      throw new FjordError('INVALID_MANIFEST', 'manifest: this broker has no queue triggers');
    }
    await broker.queues.declare({ fn: name, ...trigger });
  }
  let record = current;
  if (!unchanged) {
    await store.createVersion(manifest, bundle);
    record = await store.getFunction(name);
  }
  if (record === undefined) throw new FjordError('INTERNAL', `function "${name}" vanished`);
  deps.functions.evict(name);
  // Nodes start consuming a new function's queue when they hear this. An unchanged deploy
  // announces again, so retrying a deploy whose announcement failed (503 below) heals it.
  await broker.announce({
    type: 'deployed',
    fn: toFunctionSpec(record.active.manifest, record.activeVersion, record.active.bundleSha),
  });
  deps.logger.info(
    { fn: name, version: record.activeVersion, created: !unchanged, bundleSha: sha },
    unchanged ? 'deploy unchanged' : 'deployed',
  );
  return { record, created: !unchanged };
}
