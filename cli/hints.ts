/**
 * What to do next after an error, by error code first and HTTP status second: an error message
 * says what went wrong, the hint how to get going again.
 */
const BY_CODE: Record<string, string> = {
  FUNCTION_NOT_FOUND: '`fn ls` lists functions; `fn deploy DIR` creates one',
  VERSION_NOT_FOUND: '`fn versions NAME` lists the versions you can roll back to',
  INVOCATION_NOT_FOUND: 'invocation ids come from `fn invoke NAME --async` or `fn logs NAME`',
  DEAD_LETTER_NOT_FOUND: '`fn dlq ls NAME` lists what the dead-letter queue holds',
  NODE_NOT_FOUND: '`fn nodes` lists the nodes, by id and host',
  NODE_DOWN: 'a node that stopped heartbeating takes no work; stop it where it runs',
  HANDLER_NOT_FOUND:
    'HTTP needs `export default { fetch }`; event functions export default a function (event, ctx) and are invoked with `fn invoke NAME`',
  SECRET_NOT_FOUND: '`fn secret ls NAME` lists the secrets set for the function',
  TOKEN_NOT_FOUND: '`fn token ls` lists the tokens by id',
  INVALID_TOKEN_SCOPE: 'scopes: admin, deploy (deploy and invoke), invoke, node (runtime nodes)',
  INVALID_TOKEN_LABEL: 'a label is 1-64 printable characters; --label may be left out',
  INVALID_MANIFEST: 'fix fn.json: only "name" is required (`fn init NAME` writes a complete one)',
  INVALID_NAME: 'names are 1-63 lowercase letters, digits and dashes, starting with a letter',
  FUNCTION_ERROR: '`fn logs NAME` shows what the function logged',
  FUNCTION_CRASHED: '`fn logs NAME` shows what the function logged before it crashed',
  MEMORY_LIMIT_EXCEEDED: 'raise memoryMb in fn.json, or use less memory',
  BAD_FUNCTION_RESPONSE: 'fetch handlers must return a Response; event handlers JSON',
  INVOCATION_TIMEOUT: 'raise timeoutMs in fn.json, or make the function faster',
  BROKER_UNAVAILABLE: 'the gateway cannot reach its broker: check the gateway logs, then retry',
  NO_CAPACITY: 'no runtime node is free: start one with `fn node`, or retry',
  THROTTLED: 'too many requests: retry in a moment',
  RATE_LIMITED: 'over a rate limit of your token or the function: retry after the time given',
  OVERLOADED: 'too many invocations are queued: retry later, or add runtime nodes',
};

const BY_STATUS: Record<number, string> = {
  401: 'run `fn up` (it writes .fn/credentials.json) or pass --token / set FN_TOKEN',
  403: 'this token lacks the scope named above: use a token that has it (an admin makes one with `fn token create --scope SCOPE`)',
  404: '`fn ls` lists functions',
  413: 'the request is too large for the gateway',
  502: '`fn logs NAME` shows what the function logged',
  503: 'the platform is not ready: check the gateway logs, then retry',
  504: 'the function ran out of time: raise timeoutMs in fn.json',
};

export function hintFor(code: string | undefined, status?: number): string | undefined {
  return (code && BY_CODE[code]) ?? (status === undefined ? undefined : BY_STATUS[status]);
}
