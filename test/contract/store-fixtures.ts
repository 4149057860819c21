/** Records, results and letters the store contract stores; a temp file for SQLite stores. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Manifest } from '../../core/manifest.ts';
import type { DeadLetter, InvocationResult, LogEntry } from '../../core/messages.ts';
import type { InvocationRecord } from '../../core/store.ts';
import { invocation } from '../support/fixtures.ts';

/** A fresh SQLite database file in its own temp directory, removed after the test. */
export async function tempDb(t: Pick<TestContext, 'after'>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'store.db');
}

export function manifest(name: string, overrides: Partial<Manifest> = {}): Manifest {
  return {
    name,
    entry: 'index.ts',
    runtime: 'isolate',
    memoryMb: 64,
    timeoutMs: 5000,
    concurrency: 2,
    env: {},
    triggers: { http: { public: true } },
    ...overrides,
  };
}

export function queued(
  id: string,
  fn = 'hello',
  overrides: Partial<InvocationRecord> = {},
): InvocationRecord {
  return {
    id,
    callId: `call-${id}`,
    fn,
    version: 1,
    mode: 'async',
    trigger: 'event',
    status: 'queued',
    attempts: 0,
    queuedAt: 1000,
    ...overrides,
  };
}

export function result(id: string, overrides: Partial<InvocationResult> = {}): InvocationResult {
  return {
    id,
    callId: `call-${id}`,
    fn: 'hello',
    version: 1,
    node: 'node-a',
    attempt: 1,
    status: 'succeeded',
    startedAt: 2000,
    endedAt: 2015,
    coldStart: true,
    cpuMs: 3.5,
    value: { ok: true },
    logs: [],
    ...overrides,
  };
}

export function lines(...messages: string[]): LogEntry[] {
  return messages.map((message, i) => ({ ts: 3000 + i, level: 'info', message }));
}

export const boom = { code: 'FUNCTION_ERROR', message: 'boom' } as const;

/** A dead letter for invocation `id` of function `hello`, given up on at `attempt`. */
export function letter(
  id: string,
  attempt: number,
  overrides: Partial<DeadLetter> = {},
): DeadLetter {
  const message = { ...invocation('hello', { n: 1 }), id, callId: `call-${id}`, acceptedAt: 1000 };
  return { message, attempt, error: boom, node: 'node-a', deadAt: 9000, ran: true, ...overrides };
}
