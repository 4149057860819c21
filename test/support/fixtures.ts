import { randomBytes } from 'node:crypto';
import type { FunctionSpec, InvocationMessage, InvocationResult } from '../../core/messages.ts';

/** A function name no other test uses, so tests can share one broker. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export function spec(name: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    name,
    version: 1,
    bundleSha: 'a'.repeat(64),
    runtime: 'isolate',
    memoryMb: 64,
    timeoutMs: 5000,
    concurrency: 2,
    env: {},
    ...overrides,
  };
}

export function invocation(
  name: string,
  data: unknown,
  overrides: Partial<InvocationMessage> = {},
): InvocationMessage {
  const id = `inv-${randomBytes(6).toString('hex')}`;
  return {
    id,
    callId: `call-${id}`,
    fn: spec(name),
    mode: 'async',
    payload: { kind: 'event', data },
    acceptedAt: Date.now(),
    ...overrides,
  };
}

export function resultFor(
  message: InvocationMessage,
  value: unknown,
  attempt = 1,
): InvocationResult {
  const now = Date.now();
  return {
    id: message.id,
    callId: message.callId,
    fn: message.fn.name,
    version: message.fn.version,
    node: 'test-node',
    attempt,
    status: 'succeeded',
    startedAt: now,
    endedAt: now,
    coldStart: false,
    value,
    logs: [],
  };
}
