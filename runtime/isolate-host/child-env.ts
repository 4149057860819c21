/**
 * The environment a host process starts with: an allow-list of what Node needs to run and to
 * make functions' outgoing requests (locale, time zone, temp dir, CA and proxy settings), never
 * the node's tokens, broker or store URLs. Isolates cannot read the environment anyway; this is
 * for the case the host process exists for, code that got out of V8.
 */
const ALLOWED = new Set([
  'PATH',
  'HOME',
  'LANG',
  'TZ',
  'TMPDIR',
  'FN_LOG_LEVEL',
  'NODE_EXTRA_CA_CERTS',
  'NODE_USE_SYSTEM_CA',
  'NODE_USE_ENV_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
]);

export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (ALLOWED.has(name) || name.startsWith('LC_'))) kept[name] = value;
  }
  return kept;
}
