/**
 * The isolate executor's bundles: the code, and the V8 code cache this process produced from it
 * on first compile (filled in by run-bundle.ts).
 */
import type ivm from 'isolated-vm';
import type { BundleSource } from '../../core/executor.ts';
import { BundleCache } from '../bundle-cache.ts';

export interface CachedBundle {
  sha: string;
  code: string;
  /** Produced here by compiling `code`; never accepted from elsewhere. */
  cachedData?: ivm.ExternalCopy<ArrayBuffer>;
  /** `cachedData` was taken after a first request, with the functions it compiled (run-bundle.ts). */
  rich?: boolean;
}

export class IsolateBundleCache extends BundleCache<CachedBundle> {
  constructor(load: BundleSource, maxEntries: number) {
    super(load, maxEntries, (sha, code) => ({ sha, code }));
  }
}
