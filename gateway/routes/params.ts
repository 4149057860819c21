import { FjordError } from '../../core/errors.ts';
import { assertFunctionName } from '../../core/names.ts';

/**
 * Route parameter checks. They run inside handlers, after authentication, so an anonymous
 * caller learns nothing but 401 whatever it sends.
 */

/** The `:name` parameter, validated (400 INVALID_NAME). */
export function functionName(params: Record<string, string | undefined>): string {
  return assertFunctionName(params.name ?? '');
}

/** A single query parameter, or undefined; repeated ones are refused rather than guessed at. */
export function queryParam(
  query: Record<string, string | string[] | undefined>,
  key: string,
): string | undefined {
  const value = query[key];
  if (Array.isArray(value))
    throw new FjordError('BAD_REQUEST', `query parameter "${key}" is repeated`);
  return value;
}

/** A non-negative integer query parameter within `max`, or undefined when absent. */
export function integerParam(
  query: Record<string, string | string[] | undefined>,
  key: string,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = queryParam(query, key);
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed > max) {
    throw new FjordError(
      'BAD_REQUEST',
      `query parameter "${key}" must be an integer from 0 to ${max}`,
    );
  }
  return parsed;
}

/** A JSON object, as opposed to an array, null or a scalar. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
