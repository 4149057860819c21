/** Helpers shared by the SQLite store tests: temp files, records and results to store. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TestContext } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import type { Manifest } from '../../core/manifest.ts';
import type { InvocationResult, LogEntry } from '../../core/messages.ts';
import type { InvocationRecord } from '../../core/store.ts';

/** A fresh database file in its own temp directory, removed after the test. */
export async function tempDb(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fjord-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'store.db');
}

export async function openStore(
  t: TestContext,
  path?: string,
): Promise<{ store: SqliteStore; path: string }> {
  const file = path ?? (await tempDb(t));
  const store = new SqliteStore({ path: file });
  await store.init();
  t.after(() => store.close());
  return { store, path: file };
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

/** Reads the file with a second connection, as an attacker with the file would. */
export function rawQuery(path: string, sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    // Spread: node:sqlite rows have a null prototype.
    return db
      .prepare(sql)
      .all()
      .map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}
