import { CANCELLATIONS_LIMIT } from '../core/api.ts';
import type { BundleSource } from '../core/executor.ts';
import { FjordError } from '../core/errors.ts';
import { toFunctionSpec } from '../core/function-spec.ts';
import type { FunctionSpec } from '../core/messages.ts';
import type { Store } from '../core/store.ts';
import type { FunctionDirectory } from '../runtime/function-directory.ts';

/** For a node in the gateway's own process (`fn up`): functions and bundles straight from the store. */
export class StoreSource implements FunctionDirectory {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  cancelled(since: number): Promise<string[]> {
    return this.#store.listCancelled(since, CANCELLATIONS_LIMIT);
  }

  async list(): Promise<FunctionSpec[]> {
    const functions = await this.#store.listFunctions();
    return functions.map((f) =>
      toFunctionSpec(f.active.manifest, f.activeVersion, f.active.bundleSha),
    );
  }

  readonly loadCode: BundleSource = async (sha) => {
    const code = await this.#store.getBundle(sha);
    if (code === undefined)
      throw new FjordError('INTERNAL', `bundle ${sha} is missing from the store`);
    return code;
  };
}
