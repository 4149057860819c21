// Loads a function bundle (esbuild IIFE assigning the module to a global, Node built-ins left as
// require() calls) and finds its handlers, with the same rules and messages as the isolate runtime.
import { createRequire } from 'node:module';
import { compileFunction } from 'node:vm';
import { errorReply } from './replies.mjs';
import { mapReplyStack, splitInlineMap } from './stack-map.mts';

const METHODS = ['fetch', 'queue', 'scheduled'];

/** @param {unknown} value */
export function describe(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return typeof value;
  const name = /** @type {{ constructor?: { name?: unknown } }} */ (value).constructor?.name;
  return typeof name === 'string' ? `an object (${name})` : 'an object';
}

/**
 * Runs the bundle once. Dependencies a per-function image installs under /app/node_modules are
 * found by require() (native addons cannot be bundled); Node built-ins resolve as usual.
 *
 * The bundle's inline source map is taken off first (Node would parse it for nothing) and comes
 * back as `sourceMap`, which maps the stacks of the function's errors to its source.
 *
 * @param {{ code: string, filename: string, moduleGlobal: string, appDir: string }} bundle
 * @returns {{ ok: true, shape: 'handler' | 'object', main: any, sourceMap?: import('./stack-map.mts').BundleSourceMap } | ReturnType<typeof errorReply>}
 */
export function loadBundle({ code: bundle, filename, moduleGlobal, appDir }) {
  const require = createRequire(`${appDir}/index.js`);
  const { code, map } = splitInlineMap(bundle);
  let run;
  try {
    // A function scope, not the global one: the bundle's top-level var stays local, and the
    // module object comes back as the return value.
    run = compileFunction(
      `${code}\n;return typeof ${moduleGlobal} === 'undefined' ? undefined : ${moduleGlobal};`,
      ['require', '__filename', '__dirname'],
      { filename },
    );
  } catch (error) {
    return errorReply('BUNDLE_REJECTED', `the bundle does not compile: ${messageOf(error)}`);
  }
  let module;
  try {
    module = run(require, `${appDir}/index.js`, appDir);
  } catch (error) {
    const reply = errorReply(
      'FUNCTION_ERROR',
      `module initialization failed: ${messageOf(error)}`,
      error instanceof Error ? error : undefined,
    );
    return mapReplyStack(reply, map, filename);
  }
  if (typeof module !== 'object' || module === null) {
    return errorReply(
      'BUNDLE_REJECTED',
      `the bundle did not assign globalThis.${moduleGlobal}: build it with esbuild format "iife" and globalName "${moduleGlobal}"`,
    );
  }
  const main = module.default;
  const sourceMap = map === undefined ? {} : { sourceMap: map };
  if (typeof main === 'function') return { ok: true, shape: 'handler', main, ...sourceMap };
  if (
    typeof main === 'object' &&
    main !== null &&
    METHODS.some((method) => typeof main[method] === 'function')
  ) {
    return { ok: true, shape: 'object', main, ...sourceMap };
  }
  return errorReply(
    'BUNDLE_REJECTED',
    `default export must be a function (event, ctx) or an object with a fetch, queue or scheduled method; got ${describe(main)}`,
  );
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}
