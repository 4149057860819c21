import type { FunctionSpec } from '../core/messages.ts';

/**
 * Where a node learns which functions exist when it starts; later changes arrive as control
 * events. `fn up` reads the store directly; `fn node` asks a gateway over HTTP.
 */
export interface FunctionDirectory {
  list(): Promise<FunctionSpec[]>;
  /**
   * Ids of invocations cancelled since `since` (epoch ms): a node starting late missed their
   * announcements and must skip them all the same.
   */
  cancelled?(since: number): Promise<string[]>;
}
