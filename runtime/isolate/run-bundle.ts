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

/**
 * Replaces the bundle's code cache, taken right after its first compile (the top level only:
 * V8 compiles functions when first called), by one taken in an isolate that ran the module and
 * served a request: compiling the same source there again finds the script V8 already has, now
 * with the functions that request compiled. The next isolates of the bundle then skip those
 * compiles: a cold start of the Hono example app used 11.7 ms of isolate CPU with the first
 * cache, 7.2 ms with this one. Once per bundle; a failure keeps the first cache.
 */
export async function produceRichCache(
  isolate: ivm.Isolate,
  bundle: CachedBundle,
  filename: string,
): Promise<void> {
  if (bundle.rich === true || isolate.isDisposed) return;
  bundle.rich = true;
  try {
    const script = await isolate.compileScript(bundle.code, { filename, produceCachedData: true });
    const produced = (script as ivm.Script & ivm.CachedDataResult).cachedData;
    script.release();
    if (produced !== undefined) bundle.cachedData = produced;
  } catch {
    // The isolate went away meanwhile: the first cache stays.
  }
}

/**
 * One instance's part in {@link produceRichCache}: armed when it booted a bundle whose cache is
 * not rich yet, taken after its first successful request. The next dispatch waits for
 * {@link caching}, so the compile's CPU never counts against that invocation's `cpuMs`.
 */
export class RichCache {
  #armed: { isolate: ivm.Isolate; bundle: CachedBundle; filename: string } | undefined;
  #caching: Promise<void> | undefined;

  get caching(): Promise<void> | undefined {
    return this.#caching;
  }

  arm(isolate: ivm.Isolate, bundle: CachedBundle, filename: string): void {
    if (bundle.rich !== true) this.#armed = { isolate, bundle, filename };
  }

  take(): void {
    const armed = this.#armed;
    this.#armed = undefined;
    if (armed === undefined || armed.bundle.rich === true) return;
    const caching = produceRichCache(armed.isolate, armed.bundle, armed.filename);
    this.#caching = caching;
    void caching.finally(() => {
      if (this.#caching === caching) this.#caching = undefined;
    });
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
