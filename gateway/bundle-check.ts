import { Script } from 'node:vm';
import { FjordError } from '../core/errors.ts';

/**
 * Rejects a bundle that cannot be a function: not a non-empty string, or not syntactically valid
 * JavaScript. The bundle is compiled, never run, in the gateway: compiling executes nothing, and
 * a broken deploy then fails here, with the parser's message, instead of on every invocation.
 */
export function checkBundle(bundle: unknown): string {
  if (typeof bundle !== 'string' || bundle.trim() === '') {
    throw new FjordError(
      'BUNDLE_REJECTED',
      'bundle must be a non-empty string of JavaScript: build and deploy it with fn deploy',
    );
  }
  try {
    new Script(bundle, { filename: 'bundle.js' });
  } catch (error) {
    const { message, stack } = error as Error;
    // V8 puts the offending line first in a SyntaxError's stack: "bundle.js:3".
    const line = /^bundle\.js:(\d+)/.exec(stack ?? '')?.[1];
    throw new FjordError(
      'BUNDLE_REJECTED',
      `bundle is not valid JavaScript: ${message}${line === undefined ? '' : ` (line ${line})`}`,
    );
  }
  return bundle;
}
