import { createRequire } from 'node:module';
// The schema declares draft 2020-12, which only Ajv's 2020 build knows.
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { Cron } from 'croner';
import { FjordError } from './errors.ts';
import { resolveQueueTrigger, type QueueTrigger } from './manifest-queue.ts';
import type { RetryConfig } from './retry-policy.ts';

const require = createRequire(import.meta.url);
/** The published JSON Schema of fn.json. */
export const MANIFEST_SCHEMA = require('./manifest.schema.json') as Record<string, unknown>;

/** A validated fn.json with every default filled in. */
export interface Manifest {
  name: string;
  entry: string;
  runtime: 'isolate' | 'container';
  memoryMb: number;
  timeoutMs: number;
  concurrency: number;
  env: Record<string, string>;
  triggers: { http: { public: boolean }; schedule?: ScheduleTrigger; queue?: QueueTrigger };
  /** Container functions: network access (default none), CPUs, process limit, own image. */
  network?: boolean;
  cpus?: number;
  pidsLimit?: number;
  image?: string;
  /**
   * sha256 of the `docker save` tarball of `image`, which the gateway stores: nodes without the
   * image load it from there. Set by `fn deploy` when it builds the function's own image.
   */
  imageSha?: string;
  /** Async retries and event age; absent unless set (defaults: core/retry-policy.ts). */
  retries?: RetryConfig;
  maxEventAgeMs?: number;
  /** Hosts fetch() may reach; absent: none. */
  egress?: { allow: string[]; allowPrivate?: boolean };
  /** CPU time per invocation (isolates); absent: only timeoutMs applies. */
  cpuMs?: number;
  /** Limits across the cluster: rate (gateways) and concurrency (nodes); absent: none. */
  limits?: FunctionLimits;
  /** Secrets the function reads as `env.KEY` (core/secrets.ts); absent: none. */
  secrets?: string[];
}

/** fn.json `limits`. */
export interface FunctionLimits {
  /** Invocation requests admitted per second on each gateway, in bursts of `burst`. */
  rateLimit?: { perSecond: number; burst?: number };
  /** Most invocations running at once across all nodes (top-level `concurrency` is per node). */
  concurrency?: number;
}

/** fn.json `triggers.schedule`: one schedule per function. */
export interface ScheduleTrigger {
  /** 5 fields (minute first), 6 with seconds first, or a nickname such as `@hourly`. */
  cron: string;
  /** IANA time zone the expression is read in; absent: UTC. */
  timezone?: string;
}

/** Validates fn.json contents, naming the offending field; returns it with defaults applied. */
export type ManifestValidator = (input: unknown, source?: string) => Manifest;

export function createManifestValidator(): ManifestValidator {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true });
  const validate = ajv.compile(MANIFEST_SCHEMA);
  return (input, source = 'fn.json') => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new FjordError('INVALID_MANIFEST', `${source}: must be a JSON object`);
    }
    const copy = structuredClone(input) as Record<string, unknown>;
    if (!validate(copy)) {
      const details = (validate.errors ?? []).map(describe).join('; ');
      throw new FjordError('INVALID_MANIFEST', `${source}: ${details}`);
    }
    const triggers = (copy.triggers ?? {}) as {
      http?: { public?: boolean };
      schedule?: ScheduleTrigger;
      queue?: Partial<QueueTrigger>;
    };
    if (triggers.schedule !== undefined) checkSchedule(triggers.schedule, source);
    const queue =
      triggers.queue === undefined
        ? undefined
        : resolveQueueTrigger(triggers.queue, copy.name as string, source);
    return {
      name: copy.name as string,
      entry: copy.entry as string,
      runtime: copy.runtime as Manifest['runtime'],
      memoryMb: copy.memoryMb as number,
      timeoutMs: copy.timeoutMs as number,
      concurrency: copy.concurrency as number,
      env: (copy.env ?? {}) as Record<string, string>,
      triggers: {
        http: { public: triggers.http?.public ?? true },
        ...(triggers.schedule === undefined ? {} : { schedule: triggers.schedule }),
        ...(queue === undefined ? {} : { queue }),
      },
      // Container settings stay absent unless set: the container executor owns their defaults.
      ...(typeof copy.network === 'boolean' ? { network: copy.network } : {}),
      ...(typeof copy.cpus === 'number' ? { cpus: copy.cpus } : {}),
      ...(typeof copy.pidsLimit === 'number' ? { pidsLimit: copy.pidsLimit } : {}),
      ...(typeof copy.image === 'string' ? { image: copy.image } : {}),
      ...(typeof copy.imageSha === 'string' ? { imageSha: copy.imageSha } : {}),
      // Like the container settings, absent unless set: core/retry-policy.ts owns the defaults.
      ...(isObject(copy.retries) ? { retries: copy.retries } : {}),
      ...(typeof copy.maxEventAgeMs === 'number' ? { maxEventAgeMs: copy.maxEventAgeMs } : {}),
      ...(isObject(copy.egress) ? { egress: copy.egress as Manifest['egress'] } : {}),
      ...(typeof copy.cpuMs === 'number' ? { cpuMs: copy.cpuMs } : {}),
      ...(isObject(copy.limits) ? { limits: copy.limits } : {}),
      ...(Array.isArray(copy.secrets) && copy.secrets.length > 0
        ? { secrets: copy.secrets as string[] }
        : {}),
    };
  };
}

/**
 * The schema only knows the fields are strings: the expression and the zone are checked by
 * parsing them as the scheduler will, so a bad one fails the deploy, not the first tick.
 */
function checkSchedule(schedule: ScheduleTrigger, source: string): void {
  const { cron, timezone } = schedule;
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw new FjordError(
        'INVALID_MANIFEST',
        `${source}: field "triggers.schedule.timezone" is not a known IANA time zone: "${timezone}" (for example "Europe/Oslo" or "UTC")`,
      );
    }
  }
  let next: Date | null;
  try {
    next = new Cron(cron, {
      paused: true,
      ...(timezone === undefined ? {} : { timezone }),
    }).nextRun();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FjordError(
      'INVALID_MANIFEST',
      `${source}: field "triggers.schedule.cron" is not a valid cron expression: "${cron}" (${reason})`,
    );
  }
  if (next === null) {
    throw new FjordError(
      'INVALID_MANIFEST',
      `${source}: field "triggers.schedule.cron" never fires: "${cron}"`,
    );
  }
}

function describe(error: ErrorObject): string {
  const field = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '';
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown field "${joinField(field, String(error.params.additionalProperty))}"`;
    case 'required':
      return `missing required field "${joinField(field, String(error.params.missingProperty))}"`;
    case 'enum':
      return `field "${field}" must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `field "${field || '(root)'}" ${error.message ?? 'is invalid'}`;
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function joinField(parent: string, child: string): string {
  return parent ? `${parent}.${child}` : child;
}
