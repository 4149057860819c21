/**
 * What a control API token may be created with, shared by the gateway (which refuses anything
 * else) and the CLI (which checks first, so a typo is a usage error before any request).
 */
import type { TokenScope } from './store.ts';

/** The scopes a token may have, in the order error messages list them. */
export const TOKEN_SCOPES = [
  'admin',
  'deploy',
  'invoke',
  'node',
] as const satisfies readonly TokenScope[];

/** Longest label, in characters: enough to say what a token is for, short enough for a table. */
export const MAX_TOKEN_LABEL = 64;

/**
 * A label is printable (no control or format characters, which would garble `fn token ls`) and
 * neither starts nor ends with white space. A `u` pattern: `\p{C}` is Unicode's "other" category
 * (Ajv compiles patterns with the `u` flag too).
 */
export const TOKEN_LABEL_PATTERN = '^[^\\p{C}\\s](?:[^\\p{C}]*[^\\p{C}\\s])?$';

const LABEL = new RegExp(TOKEN_LABEL_PATTERN, 'u');

/** Whether `scope` is one of {@link TOKEN_SCOPES}. */
export function isTokenScope(scope: string): scope is TokenScope {
  return (TOKEN_SCOPES as readonly string[]).includes(scope);
}

/** Whether `label` is 1 to {@link MAX_TOKEN_LABEL} characters (code points) matching the pattern. */
export function isTokenLabel(label: string): boolean {
  return [...label].length <= MAX_TOKEN_LABEL && LABEL.test(label);
}
