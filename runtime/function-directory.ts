import type { FunctionSpec } from '../core/messages.ts';

/**
 * Where a node learns which functions exist when it starts; later changes arrive as control
 * events. `fn up` reads the store directly; `fn node` asks a gateway over HTTP.
 */
export interface FunctionDirectory {
  list(): Promise<FunctionSpec[]>;
}
