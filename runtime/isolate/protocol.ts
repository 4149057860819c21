/**
 * What crosses the boundary between the host and the prelude inside an isolate. Plain data only:
 * strings, numbers, arrays, plain objects and Uint8Array, copied by isolated-vm in both
 * directions. The host treats every value coming back as untrusted and validates it.
 */

/** Levels a function can log at; `log` is reported as `info`. */
export type WireLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Functions of the host that the prelude captures once and hides from user code. */
export interface HostBridge {
  /** Cryptographically strong random bytes (at most {@link MAX_RANDOM_BYTES}). */
  randomBytes(length: number): Uint8Array;
  /** One console line of invocation `generation`; ignored unless that invocation is current. */
  log(generation: number, level: WireLogLevel, ts: number, message: string): void;
  /** Asks the host to call `fireTimer(generation, id)` after `delayMs`. */
  setTimer(generation: number, id: number, delayMs: number): void;
  clearTimer(generation: number, id: number): void;
  /**
   * Starts asynchronous host work (`crypto`, `fetch`, `queue`, `cancel`) for invocation `generation`; the
   * host answers later through {@link PreludeRuntime.settle} with the same id.
   */
  hostCall(generation: number, id: number, op: HostCallOp, args: unknown): void;
}

export type HostCallOp = 'crypto' | 'fetch' | 'queue' | 'cancel';

/** Platform codes a host call can fail with; they become the invocation's code if uncaught. */
export type HostErrorCode =
  | 'EGRESS_DENIED'
  | 'FETCH_LIMIT_EXCEEDED'
  | 'QUEUE_NOT_FOUND'
  | 'QUEUE_LOOP_DETECTED'
  | 'EXCHANGE_NOT_FOUND'
  | 'BROKER_UNAVAILABLE';

/** A failed host call, rebuilt in the isolate as TypeError, DOMException or Error. */
export interface WireHostError {
  name: string;
  message: string;
  code?: HostErrorCode;
}

export type HostCallReply = { ok: true; value: unknown } | { ok: false; error: WireHostError };

/** An outgoing request of `fetch()`, body already read. */
export interface WireFetchRequest {
  url: string;
  method: string;
  headers: [string, string][];
  body: Uint8Array | null;
  redirect: 'follow' | 'error' | 'manual';
}

export interface WireFetchResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array | null;
  /** The URL of the last hop. */
  url: string;
  redirected: boolean;
}

export const MAX_RANDOM_BYTES = 65_536;

/** Per-invocation facts handed to the function as `ctx`. */
export interface WireContext {
  generation: number;
  invocationId: string;
  callId: string;
  attempt: number;
  deadline: number;
}

/**
 * A {@link WireContext} as the arguments of a dispatch: primitives cross into the isolate as they
 * are, where an object is structured-cloned each way (about 6 µs of a 45 µs call, measured).
 */
export type WireContextArgs = [
  generation: number,
  invocationId: string,
  callId: string,
  attempt: number,
  deadline: number,
];

export interface WireRequest {
  method: string;
  url: string;
  /**
   * `url` is already a WHATWG URL's href (parsed by the host's own URL): the Request takes it
   * as it is instead of parsing it again with the prelude's slower URL.
   */
  parsed: boolean;
  headers: [string, string][];
  body: Uint8Array | null;
}

/** The shape of the module's default export, found when the bundle is loaded. */
export type ModuleShape = 'handler' | 'object';

export type LoadReply = { ok: true; shape: ModuleShape } | { ok: false; message: string };

/** Errors the prelude reports on behalf of the function; anything else is a crash. */
export interface WireError {
  ok: false;
  code:
    | 'FUNCTION_ERROR'
    | 'BAD_FUNCTION_RESPONSE'
    | 'BAD_REQUEST'
    | 'HANDLER_NOT_FOUND'
    | HostErrorCode;
  message: string;
  name?: string;
  stack?: string;
}

export type HttpReply =
  | {
      ok: true;
      status: number;
      headers: [string, string][];
      body: Uint8Array | null;
    }
  | WireError;

/** `json` is absent when the handler returned undefined. */
export type EventReply = { ok: true; json?: string } | WireError;

/**
 * A reply, whether waitUntil work still runs (the host then calls `drain`), and how many log
 * lines the invocation has sent so far (they may arrive after the reply; the host waits for them).
 */
export type Draining<T> = T & { waitUntil: boolean; logs: number };

/** The functions the prelude exposes to the host, reached through references only. */
export interface PreludeRuntime {
  /** Attributes logs and timers to invocation `generation` (used while a cold start loads code). */
  begin(generation: number): void;
  load(env: Record<string, string>): LoadReply;
  dispatchHttp(request: WireRequest, ...ctx: WireContextArgs): Promise<Draining<HttpReply>>;
  dispatchEvent(eventJson: string, ...ctx: WireContextArgs): Promise<Draining<EventReply>>;
  /**
   * Resolves when invocation `generation`'s waitUntil work has settled, then ends it; with the
   * number of log lines the invocation sent in all.
   */
  drain(generation: number): Promise<number>;
  fireTimer(generation: number, id: number): void;
  /** Completes host call `id` of invocation `generation`. */
  settle(generation: number, id: number, reply: HostCallReply): void;
}

/** Limits the prelude enforces on the isolate's side; the host enforces them again. */
export interface PreludeConfig {
  logLimitBytes: number;
  maxResponseBytes: number;
  maxTimers: number;
}

/**
 * Name of the function the prelude leaves on the global for the host to call once: it captures
 * the host bridge, installs the Web APIs, deletes itself and returns the {@link PreludeRuntime}.
 */
export const INSTALL_GLOBAL = '__fjord_install';

export type InstallFunction = (
  randomBytes: HostBridge['randomBytes'],
  log: HostBridge['log'],
  setTimer: HostBridge['setTimer'],
  clearTimer: HostBridge['clearTimer'],
  hostCall: HostBridge['hostCall'],
  config: PreludeConfig,
) => PreludeRuntime;
