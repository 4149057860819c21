import type {
  DeadLetterDetail,
  DeadLetterListResponse,
  PurgeResponse,
  RedriveRequest,
} from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { ActiveFunction } from '../function-catalog.ts';
import { toAttemptView, toDeadLetterView } from '../delivery-views.ts';
import type { GatewayDeps, GatewayRouter } from '../gateway-context.ts';
import { requireScope } from '../middleware/auth.ts';
import { readJson } from '../middleware/read-body.ts';
import { redrive } from '../redrive.ts';
import { functionName, integerParam, isPlainObject } from './params.ts';

/** Ids one redrive request may name. */
const MAX_IDS = 1000;

/**
 * A function's dead-letter queue: list and show (invoke scope), redrive and purge (deploy
 * scope, since they run or drop work).
 */
export function registerDeadLetterRoutes(router: GatewayRouter, deps: GatewayDeps): void {
  const { store } = deps;
  const invoke = requireScope(deps.tokens, 'invoke');
  const deploy = requireScope(deps.tokens, 'deploy');

  router.get('/v1/functions/:name/dlq', invoke, async (ctx) => {
    const name = (await activeFunction(deps, ctx.params)).spec.name;
    const afterSeq = integerParam(ctx.query, 'after');
    const limit = integerParam(ctx.query, 'limit', 1000);
    const query = { ...(afterSeq === undefined ? {} : { afterSeq }), limit: limit ?? 100 };
    const page = await store.listDeadLetters(name, query);
    const total = await store.countDeadLetters(name);
    const last = page.at(-1);
    const body: DeadLetterListResponse = { deadLetters: page.map(toDeadLetterView), total };
    if (last !== undefined && page.length === query.limit) body.next = last.seq;
    ctx.body = body;
  });

  router.get('/v1/functions/:name/dlq/:id', invoke, async (ctx) => {
    const name = (await activeFunction(deps, ctx.params)).spec.name;
    const id = ctx.params.id ?? '';
    const letter = id.length <= 200 ? await store.getDeadLetter(name, id) : undefined;
    if (letter === undefined) {
      throw new FjordError(
        'DEAD_LETTER_NOT_FOUND',
        `no invocation "${id.slice(0, 200)}" in the dead-letter queue of "${name}"`,
      );
    }
    const history = (await store.listAttempts(id)).map((a) => toAttemptView(a, letter.callId));
    ctx.body = {
      ...toDeadLetterView(letter),
      payload: letter.message.payload,
      history,
    } satisfies DeadLetterDetail;
  });

  router.post('/v1/functions/:name/dlq/redrive', deploy, async (ctx) => {
    const fn = await activeFunction(deps, ctx.params);
    const ids = redriveIds(await readJson(ctx, deps.limits.control));
    ctx.body = await redrive(deps, fn, ids);
  });

  router.delete('/v1/functions/:name/dlq', deploy, async (ctx) => {
    const name = (await activeFunction(deps, ctx.params)).spec.name;
    const purged = await store.purgeDeadLetters(name);
    deps.logger.info({ fn: name, purged }, 'dead-letter queue purged');
    ctx.body = { purged } satisfies PurgeResponse;
  });
}

async function activeFunction(
  deps: GatewayDeps,
  params: Record<string, string | undefined>,
): Promise<ActiveFunction> {
  const name = functionName(params);
  const fn = await deps.functions.get(name);
  if (fn === undefined)
    throw new FjordError('FUNCTION_NOT_FOUND', `function "${name}" does not exist`);
  return fn;
}

/** The ids of a {@link RedriveRequest}; undefined (everything) for an empty body or no ids. */
function redriveIds(body: unknown): string[] | undefined {
  if (body === undefined) return undefined;
  const ids = isPlainObject(body) ? (body as RedriveRequest).ids : null;
  if (ids === undefined) return undefined;
  if (
    !Array.isArray(ids) ||
    ids.length === 0 ||
    ids.length > MAX_IDS ||
    !ids.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 200)
  ) {
    throw new FjordError(
      'BAD_REQUEST',
      `expected {"ids": [...]} with 1 to ${MAX_IDS} invocation ids, or no body to redrive all`,
    );
  }
  return ids;
}
