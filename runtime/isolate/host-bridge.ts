/**
 * Hands the host bridge to a fresh isolate: calls the prelude's install function once with
 * plain callbacks (isolated-vm Callback objects, which the prelude captures in closures and never
 * exposes) and keeps references to the runtime functions the prelude returns.
 */
import { randomFillSync } from 'node:crypto';
import ivm from 'isolated-vm';
import { INSTALL_GLOBAL, MAX_RANDOM_BYTES, type PreludeConfig } from './protocol.ts';

/** References into the prelude's runtime; they die with the isolate. */
export interface RuntimeRefs {
  begin: ivm.Reference;
  load: ivm.Reference;
  dispatchHttp: ivm.Reference;
  dispatchEvent: ivm.Reference;
  drain: ivm.Reference;
  fireTimer: ivm.Reference;
  settle: ivm.Reference;
}

/** What the isolate may ask of the host; every argument arrives unvalidated. */
export interface BridgeHandlers {
  log: (generation: unknown, level: unknown, ts: unknown, message: unknown) => void;
  setTimer: (generation: unknown, id: unknown, delay: unknown) => void;
  clearTimer: (generation: unknown, id: unknown) => void;
  hostCall: (generation: unknown, id: unknown, op: unknown, args: unknown) => void;
}

function randomBytesFor(length: unknown): Uint8Array {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new TypeError('randomBytes: length must be a non-negative integer');
  }
  if (length > MAX_RANDOM_BYTES)
    throw new RangeError(`randomBytes: at most ${MAX_RANDOM_BYTES} bytes`);
  return randomFillSync(new Uint8Array(length));
}

export async function installBridge(
  context: ivm.Context,
  handlers: BridgeHandlers,
  config: PreludeConfig,
): Promise<RuntimeRefs> {
  const install = await context.global.get(INSTALL_GLOBAL, { reference: true });
  const runtime: ivm.Reference = await install.apply(
    undefined,
    [
      new ivm.Callback(randomBytesFor),
      new ivm.Callback(handlers.log, { ignored: true }),
      new ivm.Callback(handlers.setTimer, { ignored: true }),
      new ivm.Callback(handlers.clearTimer, { ignored: true }),
      new ivm.Callback(handlers.hostCall, { ignored: true }),
      new ivm.ExternalCopy(config).copyInto(),
    ],
    { result: { reference: true } },
  );
  install.release();
  // Property reads of an isolate nobody else runs in take microseconds: no thread hop needed.
  const ref = (name: string): ivm.Reference => runtime.getSync(name, { reference: true });
  const refs: RuntimeRefs = {
    begin: ref('begin'),
    load: ref('load'),
    dispatchHttp: ref('dispatchHttp'),
    dispatchEvent: ref('dispatchEvent'),
    drain: ref('drain'),
    fireTimer: ref('fireTimer'),
    settle: ref('settle'),
  };
  runtime.release();
  return refs;
}
