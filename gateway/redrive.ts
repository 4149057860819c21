import type { RedriveResponse } from '../core/api.ts';
import { isFjordError, FjordError } from '../core/errors.ts';
import type { InvocationMessage } from '../core/messages.ts';
import type { DeadLetterRecord } from '../core/store.ts';
import { redrivenEvent } from './events-summaries.ts';
import type { ActiveFunction } from './function-catalog.ts';
import type { GatewayDeps } from './gateway-context.ts';

/** Entries read from the store at a time while redriving a whole queue. */
const PAGE = 100;

/**
 * Enqueues dead letters again, all of a function's or the ones named. Each runs the function's
 * active version (redriving after a fix is the point), as the next attempt number, with a fresh
 * budget of attempts and event age. A letter leaves the queue only once its message is durable
 * again; a broker failure stops the redrive with 503, and what was redriven until then stays so.
 */
export async function redrive(
  deps: GatewayDeps,
  fn: ActiveFunction,
  ids: readonly string[] | undefined,
): Promise<RedriveResponse> {
  const name = fn.spec.name;
  const response: RedriveResponse = { redriven: 0, missing: [] };
  const one = async (letter: DeadLetterRecord): Promise<void> => {
    if (await redriveOne(deps, fn, letter.invocationId)) response.redriven += 1;
    else response.missing.push(letter.invocationId);
  };
  if (ids !== undefined) {
    for (const id of new Set(ids)) {
      const letter = await deps.store.getDeadLetter(name, id);
      if (letter === undefined) response.missing.push(id);
      else await one(letter);
    }
    return response;
  }
  // Only what was there when the redrive began: an entry redriven now that dies again before
  // the end must not be redriven twice.
  let left = await deps.store.countDeadLetters(name);
  let afterSeq = 0;
  while (left > 0) {
    const page = await deps.store.listDeadLetters(name, { afterSeq, limit: Math.min(PAGE, left) });
    if (page.length === 0) break;
    for (const letter of page) await one(letter);
    left -= page.length;
    afterSeq = page.at(-1)?.seq ?? afterSeq;
  }
  return response;
}

async function redriveOne(deps: GatewayDeps, fn: ActiveFunction, id: string): Promise<boolean> {
  const { store, broker, logger } = deps;
  const letter = await store.getDeadLetter(fn.spec.name, id);
  if (letter === undefined) return false; // redriven or purged meanwhile
  const message: InvocationMessage = {
    id: letter.message.id,
    callId: letter.message.callId,
    payload: letter.message.payload,
    acceptedAt: letter.message.acceptedAt,
    fn: fn.spec,
    mode: 'async',
    priorAttempts: letter.attempt,
    redrive: { fromAttempt: letter.attempt + 1, at: deps.now() },
  };
  try {
    await broker.enqueue(message);
  } catch (error) {
    if (isFjordError(error)) throw error;
    throw new FjordError('BROKER_UNAVAILABLE', 'the broker did not take the redriven invocation', {
      cause: error,
    });
  }
  const taken = await store.markRedriven(fn.spec.name, id);
  // Queued again whether or not this call took the letter: the message is on the broker.
  deps.events.publish(redrivenEvent(message, message.redrive?.at ?? deps.now()));
  logger.info({ fn: fn.spec.name, id, attempt: letter.attempt + 1, taken }, 'invocation redriven');
  return true;
}
