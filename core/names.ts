import { FjordError } from './errors.ts';

/** Function names: DNS-label style, so they are safe in URLs, queue names and file names. */
export const FUNCTION_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export function isValidFunctionName(name: string): boolean {
  return FUNCTION_NAME_PATTERN.test(name) && !name.endsWith('-');
}

export function assertFunctionName(name: string): string {
  if (!isValidFunctionName(name)) {
    throw new FjordError(
      'INVALID_NAME',
      `invalid function name "${name.slice(0, 80)}": use 1-63 lowercase letters, digits and dashes, starting with a letter`,
    );
  }
  return name;
}
