/**
 * The isolate executor's bundles: the code, its source map (taken off the code: the isolate
 * never compiles it), and the V8 code cache this process produced from it on first compile
 * (filled in by run-bundle.ts).
 */
import type ivm from 'isolated-vm';
import type { BundleSource } from '../../core/executor.ts';
import { BundleCache } from '../bundle-cache.ts';
import { splitInlineMap, type BundleSourceMap } from './bundle-source-map.ts';

export interface CachedBundle {
  sha: string;
  code: string;
  /** Maps the stacks of the function's errors back to its source, when deployed with a map. */
  sourceMap?: BundleSourceMap;
  /** Produced here by compiling `code`; never accepted from elsewhere. */
  cachedData?: ivm.ExternalCopy<ArrayBuffer>;
  /** `cachedData` was taken after a first request, with the functions it compiled (run-bundle.ts). */
  rich?: boolean;
}

export class IsolateBundleCache extends BundleCache<CachedBundle> {
  constructor(load: BundleSource, maxEntries: number) {
    super(load, maxEntries, (sha, bundle) => {
      const { code, map } = splitInlineMap(bundle);
      return map === undefined ? { sha, code } : { sha, code, sourceMap: map };
    });
  }
}
