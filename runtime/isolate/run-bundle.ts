/**
 * Loading a function's bundle into an isolate: fetching it (once per node, through the cache)
 * and compiling and running it with a V8 code cache produced on this node. The function's own
 * faults come back as errors; failures of the isolate itself reject.
 */
import type ivm from 'isolated-vm';
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { CachedBundle, IsolateBundleCache } from './bundle-cache.ts';
import { errorMessage } from './instance-faults.ts';

/** The bundle, or why it cannot be had (a failed fetch is worth retrying). */
export async function loadBundle(
  bundles: IsolateBundleCache,
  sha: string,
): Promise<CachedBundle | ErrorData> {
  try {
    return await bundles.get(sha);
  } catch (error) {
    const data = FjordError.from(error).toData();
    if (data.code !== 'INTERNAL') return data;
    return new FjordError('INTERNAL', `could not load bundle ${sha}: ${errorMessage(error)}`, {
      retryable: true,
    }).toData();
  }
}

/** Compiles and runs the bundle; resolves with the function's fault, or null when it loaded. */
export async function runBundle(
  isolate: ivm.Isolate,
  context: ivm.Context,
  bundle: CachedBundle,
  filename: string,
): Promise<ErrorData | null> {
  let script: ivm.Script;
  try {
    script = await isolate.compileScript(bundle.code, {
      filename,
      ...(bundle.cachedData === undefined
        ? { produceCachedData: true }
        : { cachedData: bundle.cachedData }),
    });
  } catch (error) {
    if (isolate.isDisposed) throw error;
    return new FjordError(
      'BUNDLE_REJECTED',
      `the bundle does not compile: ${errorMessage(error)}`,
    ).toData();
  }
  const produced = (script as ivm.Script & ivm.CachedDataResult).cachedData;
  if (produced !== undefined) bundle.cachedData = produced;
  try {
    await script.run(context, { release: true });
  } catch (error) {
    if (isolate.isDisposed) throw error;
    const data = new FjordError(
      'FUNCTION_ERROR',
      `module initialization failed: ${errorMessage(error)}`,
    ).toData();
    if (error instanceof Error) {
      data.name = error.name;
      if (typeof error.stack === 'string') data.stack = error.stack;
    }
    return data;
  }
  return null;
}
