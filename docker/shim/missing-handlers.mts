/**
 * What an invocation of a kind its function does not take fails with (HANDLER_NOT_FOUND, a 404:
 * final, never retried), in both runtimes: the isolate prelude bundles this file and the
 * container shim loads it as it is. Each message says what to do instead.
 */
export const NO_FETCH_HANDLER =
  'function has no fetch handler: it takes events (POST /v1/functions/NAME/invocations, or ' +
  '`fn invoke NAME`); export default { fetch } to serve HTTP';

export const NO_QUEUE_HANDLER =
  'function has no queue handler: export default { queue(batch, env, ctx) }, or a function ' +
  '(event, ctx) that takes each message';

export const NO_EVENT_HANDLER =
  'function has no event handler: its default export is an object; export default a function ' +
  '(event, ctx) to take events';
