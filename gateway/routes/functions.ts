import type {
  FunctionListResponse,
  LogListResponse,
  RollbackRequest,
  VersionListResponse,
} from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import { toFunctionSpec } from '../../core/function-spec.ts';
import type { FunctionRecord } from '../../core/store.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';
import { readJson } from '../middleware/read-body.ts';
import { toFunctionView, toVersionView } from '../views.ts';
import { functionName, integerParam, isPlainObject, queryParam } from './params.ts';

const MAX_LOG_LIMIT = 1000;

/** Reading, rolling back and deleting functions; deploying is in deploy.ts. */
export function registerFunctionRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  const { store, broker, logger } = deps;
  const invoke = requireScope(deps.tokens, 'invoke');
  const deploy = requireScope(deps.tokens, 'deploy');

  const mustExist = async (name: string): Promise<FunctionRecord> => {
    const record = await store.getFunction(name);
    if (record === undefined) {
      throw new FjordError('FUNCTION_NOT_FOUND', `function "${name}" does not exist`);
    }
    return record;
  };

  // Runtime nodes on other hosts learn the functions to consume here, with a node token.
  router.get('/v1/functions', requireScope(deps.tokens, 'invoke', 'node'), async (ctx) => {
    const functions = await store.listFunctions();
    const now = deps.now();
    ctx.body = {
      functions: functions.map((record) => toFunctionView(record, now)),
    } satisfies FunctionListResponse;
  });

  router.get('/v1/functions/:name', invoke, async (ctx) => {
    ctx.body = toFunctionView(await mustExist(functionName(ctx.params)), deps.now());
  });

  router.get('/v1/functions/:name/versions', invoke, async (ctx) => {
    const current = await mustExist(functionName(ctx.params));
    const versions = await store.listVersions(current.name);
    ctx.body = {
      versions: versions.map((v) => toVersionView(v, current.activeVersion)),
    } satisfies VersionListResponse;
  });

  router.post('/v1/functions/:name/rollback', deploy, async (ctx) => {
    const name = functionName(ctx.params);
    const body = (await readJson(ctx, deps.limits.control)) ?? {};
    if (!isPlainObject(body)) throw new FjordError('BAD_REQUEST', 'expected a JSON object');
    const { version } = body as RollbackRequest;
    if (version !== undefined && !(Number.isSafeInteger(version) && version >= 1)) {
      throw new FjordError('BAD_REQUEST', '"version" must be a positive integer');
    }
    const current = await mustExist(name);
    const target = version ?? (await previousVersion(deps, current));
    const record = await store.setActiveVersion(name, target);
    deps.functions.evict(name);
    // Messages carry the version to run, so nodes run the rolled-back version whether or not
    // they hear this; the announcement only refreshes their consumers and warm instances.
    await broker
      .announce({
        type: 'deployed',
        fn: toFunctionSpec(record.active.manifest, record.activeVersion, record.active.bundleSha),
      })
      .catch((error: unknown) => logger.warn({ err: error, fn: name }, 'rollback not announced'));
    logger.info({ fn: name, from: current.activeVersion, to: target }, 'rolled back');
    ctx.body = toFunctionView(record, deps.now());
  });

  router.delete('/v1/functions/:name', deploy, async (ctx) => {
    const name = functionName(ctx.params);
    await mustExist(name);
    // Checked first so an outage does not leave the queue behind a function that is gone.
    if (broker.state !== 'up') {
      throw new FjordError('BROKER_UNAVAILABLE', 'the broker is unavailable; try again shortly');
    }
    if (!(await store.deleteFunction(name))) {
      throw new FjordError('FUNCTION_NOT_FOUND', `function "${name}" does not exist`);
    }
    deps.functions.evict(name);
    try {
      await broker.announce({ type: 'deleted', name });
      await broker.deleteFunction(name);
    } catch (error) {
      // The function is gone for clients either way; a leftover queue is redeclared, and its
      // stale messages fail, on a later deploy of the same name.
      logger.error({ err: error, fn: name }, 'function deleted but its queue was not removed');
    }
    logger.info({ fn: name }, 'deleted');
    ctx.status = 204;
  });

  router.get('/v1/functions/:name/logs', invoke, async (ctx) => {
    const name = functionName(ctx.params);
    const after = integerParam(ctx.query, 'after');
    const limit = integerParam(ctx.query, 'limit', MAX_LOG_LIMIT);
    const invocationId = queryParam(ctx.query, 'invocation');
    await mustExist(name);
    const logs = await store.listLogs(name, {
      ...(after === undefined ? {} : { afterSeq: after }),
      ...(limit === undefined ? {} : { limit: Math.max(limit, 1) }),
      ...(invocationId === undefined || invocationId === '' ? {} : { invocationId }),
    });
    ctx.body = { logs, next: logs.at(-1)?.seq ?? after ?? 0 } satisfies LogListResponse;
  });
}

/** The newest version older than the active one: what "roll back" means without a version. */
async function previousVersion(deps: GatewayDeps, current: FunctionRecord): Promise<number> {
  const versions = await deps.store.listVersions(current.name);
  const previous = versions.filter((v) => v.version < current.activeVersion).at(-1);
  if (previous === undefined) {
    throw new FjordError(
      'VERSION_NOT_FOUND',
      `function "${current.name}" has no version before ${current.activeVersion} to roll back to`,
    );
  }
  return previous.version;
}
