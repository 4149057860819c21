/**
 * A queue trigger's batch in an isolate: the code both runtimes share
 * (docker/shim/queue-batch.mts, where its rules are), with the prelude's base64 and the error
 * shape of the prelude's wire protocol.
 */
import type { QueueBatchEvent, QueueBatchOutcome } from '../../../core/messages.ts';
import { queueCall as sharedCall, type QueueRuntime } from '../../../docker/shim/queue-batch.mts';
import { atob } from './base64.ts';
import type { FunctionContext } from './function-context.ts';
import { functionError } from './function-errors.ts';
import { toBase64 } from './queue-sender.ts';

export { isQueueEvent } from '../../../docker/shim/queue-batch.mts';

const ISOLATE: QueueRuntime = {
  fromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  },
  toBase64,
  errorData(thrown) {
    const { code, message, name, stack } = functionError(thrown);
    return {
      code,
      message,
      ...(name === undefined ? {} : { name }),
      ...(stack === undefined ? {} : { stack }),
    };
  },
};

/**
 * The call that runs a batch on the module (queue() of a Workers module, or the default-export
 * function per message), or undefined when the module has neither.
 */
export function queueCall(
  entry: unknown,
  shape: 'handler' | 'object',
  event: QueueBatchEvent,
  env: unknown,
): ((ctx: FunctionContext) => Promise<QueueBatchOutcome>) | undefined {
  return sharedCall(entry, shape, event, env, ISOLATE);
}
