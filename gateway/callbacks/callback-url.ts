import { FjordError } from '../../core/errors.ts';

const MAX_LENGTH = 2048;

/**
 * The `X-Callback-Url` of an async invocation, or undefined when absent: an absolute http(s) URL
 * without credentials (fetch refuses those; a token belongs in the query or path instead).
 */
export function parseCallbackUrl(value: string): string | undefined {
  if (value === '') return undefined;
  const url = value.length <= MAX_LENGTH ? URL.parse(value) : null;
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new FjordError(
      'INVALID_CALLBACK_URL',
      `X-Callback-Url must be an absolute http:// or https:// URL of at most ${MAX_LENGTH} characters`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new FjordError('INVALID_CALLBACK_URL', 'X-Callback-Url must not carry credentials');
  }
  return url.href;
}
