// Errors the platform raised inside the function (a ctx.queues send the node refused), with the
// code an invocation that does not catch them fails with. A WeakMap rather than a property, so
// user code cannot dress up its own errors as platform faults (as the isolate prelude does, in
// runtime/isolate/prelude/function-errors.ts); the node checks the code again.

const platformErrors = new WeakMap();

/** @param {Error} error @param {string} code */
export function markPlatformError(error, code) {
  platformErrors.set(error, code);
  Object.defineProperty(error, 'code', { value: code, configurable: true, writable: true });
}

/** @param {unknown} thrown @returns {string | undefined} */
export function platformCode(thrown) {
  return typeof thrown === 'object' && thrown !== null ? platformErrors.get(thrown) : undefined;
}
