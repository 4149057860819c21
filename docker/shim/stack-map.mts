/**
 * Stack traces in the user's own terms, in both runtimes: the isolate executor (on the host) and
 * the container shim load this file. `fn deploy` appends the bundle's source map inline (a base64
 * `sourceMappingURL` comment at the end); it is taken off before the code is compiled, so it
 * costs nothing at run time, and the frames of a function's error stack that point into the
 * bundle are mapped through it to the source file, line and column they came from.
 */
import { SourceMap, type SourceMapPayload } from 'node:module';

const INLINE_PREFIX = '\n//# sourceMappingURL=data:application/json;';
const BASE64 = /^(?:charset=utf-8;)?base64,([A-Za-z0-9+/]+={0,2})\s*$/;
/** A frame's location: `(file:line:col)` or, for anonymous code, `at file:line:col`. */
const FRAME = /^(\s+at (?:.* \()?)(.+?):(\d+):(\d+)(\)?)$/;

/** Splits a bundle into the code to compile and its inline source map, if it has one. */
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

/**
 * A shim reply with its error's stack mapped: the function's error, its module's while it
 * loaded, or the one a queue batch's outcome carries (the handler threw; the batch retries).
 * Any other reply as it is.
 */
export function mapReplyStack<T extends { ok: boolean; error?: { stack?: string }; json?: string }>(
  reply: T,
  map: BundleSourceMap | undefined,
  filename: string,
): T {
  if (map === undefined) return reply;
  const stack = reply.error?.stack;
  if (!reply.ok && typeof stack === 'string') {
    return { ...reply, error: { ...reply.error, stack: map.mapStack(stack, filename) } };
  }
  // Only a queue outcome with an error is read again: other values go as they are.
  const { json } = reply;
  if (!reply.ok || json === undefined || !json.startsWith(QUEUE_OUTCOME)) return reply;
  const outcome = JSON.parse(json) as { error?: { stack?: unknown } };
  if (typeof outcome.error?.stack !== 'string') return reply;
  outcome.error.stack = map.mapStack(outcome.error.stack, filename);
  return { ...reply, json: JSON.stringify(outcome) };
}

/** How queue-batch.mts's outcome serialises: its type comes first. */
const QUEUE_OUTCOME = '{"type":"queue-outcome"';
