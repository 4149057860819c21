import { createHash } from 'node:crypto';
import { FjordError } from '../core/errors.ts';
import type {
  ExecutionOutcome,
  Executor,
  ExecutorStats,
  InvocationContext,
} from '../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../core/messages.ts';
import type { SecretSource } from '../core/secrets.ts';

/**
 * Gives functions the secrets they declare, as `env` entries, on any executor. The values are
 * fetched per invocation (one store read under `fn up`, one request to the gateway on a remote
 * node), so a rotated secret reaches the very next invocation; they live only in this process's
 * memory and in the function's instances, never in a FunctionSpec on the broker.
 *
 * Warm instances keep the env they were loaded with: when a version's values change, its
 * instances are retired (in-flight ones finish) and the next ones load the new values.
 * Functions without secrets pass straight through.
 */
export class SecretExecutor implements Executor {
  readonly #inner: Executor;
  readonly #source: SecretSource;
  /** A digest of the values each version's instances were loaded with, by `name@version`. */
  readonly #loaded = new Map<string, string>();

  constructor(inner: Executor, source: SecretSource) {
    this.#inner = inner;
    this.#source = source;
  }

  async invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    if (fn.secrets === undefined || fn.secrets.length === 0) {
      return this.#inner.invoke(fn, payload, ctx);
    }
    let withSecrets: FunctionSpec;
    try {
      withSecrets = await this.#withSecrets(fn);
    } catch (error) {
      return { ok: false, error: FjordError.from(error).toData(), ...NOT_RUN };
    }
    return this.#inner.invoke(withSecrets, payload, ctx);
  }

  /** Prewarms with the secrets loaded, or not at all when they cannot be had yet. */
  async prewarm(fn: FunctionSpec, count: number): Promise<void> {
    if (this.#inner.prewarm === undefined) return;
    if (fn.secrets === undefined || fn.secrets.length === 0) {
      return this.#inner.prewarm(fn, count);
    }
    let withSecrets: FunctionSpec;
    try {
      withSecrets = await this.#withSecrets(fn);
    } catch {
      return; // The first invocation reports why.
    }
    await this.#inner.prewarm(withSecrets, count);
  }

  async evict(name: string, keepVersion?: number): Promise<void> {
    for (const key of this.#loaded.keys()) {
      if (key.startsWith(`${name}@`) && key !== `${name}@${keepVersion}`) this.#loaded.delete(key);
    }
    await this.#inner.evict(name, keepVersion);
  }

  stats(): ExecutorStats {
    return this.#inner.stats();
  }

  async dispose(): Promise<void> {
    this.#loaded.clear();
    await this.#inner.dispose();
  }

  /** The spec with the declared secrets in `env`, after retiring instances of older values. */
  async #withSecrets(fn: FunctionSpec): Promise<FunctionSpec> {
    const declared = fn.secrets ?? [];
    const values = await this.#source(fn);
    const missing = declared.filter((key) => values[key] === undefined);
    if (missing.length > 0) {
      throw new FjordError(
        'SECRET_NOT_SET',
        `${fn.name} declares ${missing.length === 1 ? 'secret' : 'secrets'} ${missing.join(', ')}, not set: run \`fn secret set ${fn.name} ${missing[0] ?? ''}\``,
      );
    }
    const env = { ...fn.env };
    for (const key of declared) env[key] = values[key] ?? '';
    const key = `${fn.name}@${fn.version}`;
    const digest = createHash('sha256')
      .update(JSON.stringify(declared.map((k) => env[k])))
      .digest('hex');
    const before = this.#loaded.get(key);
    if (before !== digest) {
      this.#loaded.set(key, digest);
      // Instances loaded with other values (or, after a restart of this map, unknown ones).
      if (before !== undefined) await this.#inner.evict(fn.name, undefined);
    }
    return { ...fn, env };
  }
}

const NOT_RUN = { coldStart: false, durationMs: 0, logs: [] };
