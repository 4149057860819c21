/**
 * Stack traces in the user's own terms. `fn deploy` appends the bundle's source map inline (a
 * base64 `sourceMappingURL` comment at the end); the executor takes it off before the isolate
 * compiles the code, so the map costs nothing at run time, and maps the frames of a function's
 * error stack through it here, on the host: user code never sees the map, and a stack it forged
 * maps no worse than a real one.
 */
import { SourceMap, type SourceMapPayload } from 'node:module';
import type { ErrorData } from '../../core/errors.ts';
import type { QueueBatchOutcome } from '../../core/messages.ts';
import type { Dispatched } from './decode-reply.ts';

const INLINE_PREFIX = '\n//# sourceMappingURL=data:application/json;';
const BASE64 = /^(?:charset=utf-8;)?base64,([A-Za-z0-9+/]+={0,2})\s*$/;
/** A frame's location: `(file:line:col)` or, for anonymous code, `at file:line:col`. */
const FRAME = /^(\s+at (?:.* \()?)(.+?):(\d+):(\d+)(\)?)$/;

/** Splits a bundle into the code the isolate runs and its inline source map, if it has one. */
export function splitInlineMap(bundle: string): { code: string; map?: BundleSourceMap } {
  const at = bundle.lastIndexOf(INLINE_PREFIX);
  if (at < 0) return { code: bundle };
  const encoded = BASE64.exec(bundle.slice(at + INLINE_PREFIX.length))?.[1];
  if (encoded === undefined) return { code: bundle };
  return { code: bundle.slice(0, at + 1), map: new BundleSourceMap(encoded) };
}

/** One bundle's source map, parsed on the first stack it maps (most bundles never throw). */
export class BundleSourceMap {
  readonly #encoded: string;
  /** null once the map turned out unreadable: stacks then stay as they are. */
  #parsed: SourceMap | null | undefined;

  constructor(encoded: string) {
    this.#encoded = encoded;
  }

  /**
   * Rewrites the frames of `stack` that point into the bundle (compiled as `filename`) to the
   * source file, line and column they came from. Frames of the platform, and bundle positions
   * the map does not cover, stay as they are.
   */
  mapStack(stack: string, filename: string): string {
    const map = this.#map();
    if (map === null) return stack;
    return stack
      .split('\n')
      .map((line) => mapFrame(line, filename, map))
      .join('\n');
  }

  #map(): SourceMap | null {
    if (this.#parsed === undefined) {
      try {
        const json = Buffer.from(this.#encoded, 'base64').toString('utf8');
        this.#parsed = new SourceMap(JSON.parse(json) as SourceMapPayload);
      } catch {
        this.#parsed = null;
      }
    }
    return this.#parsed;
  }
}

function mapFrame(line: string, filename: string, map: SourceMap): string {
  const match = FRAME.exec(line);
  if (match === null || match[2] !== filename) return line;
  const [, head = '', , row = '', column = '', tail = ''] = match;
  // Stacks count lines and columns from 1, source maps from 0.
  const entry = map.findEntry(Number(row) - 1, Number(column) - 1);
  if (!('originalSource' in entry)) return line;
  const { originalSource, originalLine, originalColumn } = entry;
  return `${head}${originalSource}:${originalLine + 1}:${originalColumn + 1}${tail}`;
}

/** `error` with its stack mapped through the bundle's source map, when it has both. */
export function mapErrorStack(
  error: ErrorData,
  map: BundleSourceMap | undefined,
  filename: string,
): ErrorData {
  if (map === undefined || error.stack === undefined) return error;
  return { ...error, stack: map.mapStack(error.stack, filename) };
}

/** A booted bundle's source map, and the file name the isolate compiled it as. */
export interface BundleStacks {
  map: BundleSourceMap | undefined;
  filename: string;
}

/**
 * An invocation's result with its error's stack mapped (see {@link mapErrorStack}): the error it
 * failed with, or the one a queue batch's outcome carries (the handler threw; the batch retries).
 */
export function mapDispatchedStack(dispatched: Dispatched, stacks?: BundleStacks): Dispatched {
  const { result } = dispatched;
  if (stacks?.map === undefined) return dispatched;
  const mapped = (error: ErrorData): ErrorData => mapErrorStack(error, stacks.map, stacks.filename);
  if (!result.ok) return { ...dispatched, result: { ok: false, error: mapped(result.error) } };
  if (!isQueueOutcome(result.value) || result.value.error === undefined) return dispatched;
  const value: QueueBatchOutcome = { ...result.value, error: mapped(result.value.error) };
  return { ...dispatched, result: { ...result, value } };
}

function isQueueOutcome(value: unknown): value is QueueBatchOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'queue-outcome'
  );
}
