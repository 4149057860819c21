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
/** What follows a frame's file name: `line:col`, and `)` when the frame names a function. */
const POSITION = /^:(\d+):(\d+)(\)?)$/;
/**
 * Bounds on the work a stack costs the host, whose thread other functions share: the function
 * controls its error's stack (a forged one can be megabytes), and a map larger than this is not
 * read (a bundle near the deploy limit could carry one that takes seconds to parse). Frames past
 * the first MAX_FRAMES lines, and lines longer than a frame ever is, stay as they are.
 */
const MAX_MAP_CHARS = 4 * 1024 * 1024;
const MAX_FRAMES = 50;
const MAX_FRAME_CHARS = 1024;

/** Splits a bundle into the code to compile and its inline source map, if it has one. */
export function splitInlineMap(bundle: string): { code: string; map?: BundleSourceMap } {
  const at = bundle.lastIndexOf(INLINE_PREFIX);
  if (at < 0) return { code: bundle };
  const tail = bundle.slice(at + INLINE_PREFIX.length);
  const encoded = tail.length > MAX_MAP_CHARS ? undefined : BASE64.exec(tail)?.[1];
  // An unreadable or oversized map is still taken off: the isolate need not compile it.
  const code = bundle.slice(0, at + 1);
  return encoded === undefined ? { code } : { code, map: new BundleSourceMap(encoded) };
}

/** One bundle's source map, parsed on the first stack it maps (most bundles never throw). */
export class BundleSourceMap {
  /** Dropped once parsed: the parsed map is all that is needed then. */
  #encoded: string;
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
    const end = cutAt(stack, MAX_FRAMES);
    const mapped = stack
      .slice(0, end)
      .split('\n')
      .map((line) => mapFrame(line, filename, map))
      .join('\n');
    return mapped + stack.slice(end);
  }

  #map(): SourceMap | null {
    if (this.#parsed === undefined) {
      try {
        const json = Buffer.from(this.#encoded, 'base64').toString('utf8');
        this.#parsed = new SourceMap(JSON.parse(json) as SourceMapPayload);
      } catch {
        this.#parsed = null;
      }
      this.#encoded = '';
    }
    return this.#parsed;
  }
}

/** Where the first `lines` lines of `text` end: its `lines`-th newline, or its length. */
function cutAt(text: string, lines: number): number {
  let at = -1;
  for (let i = 0; i < lines; i++) {
    at = text.indexOf('\n', at + 1);
    if (at < 0) return text.length;
  }
  return at;
}

/**
 * Maps a frame `    at name (FILE:line:col)` or `    at FILE:line:col` whose FILE is the bundle;
 * read without a backtracking pattern, as the function wrote the text.
 */
function mapFrame(line: string, filename: string, map: SourceMap): string {
  if (line.length > MAX_FRAME_CHARS) return line;
  const at = line.lastIndexOf(filename);
  if (at < 0) return line;
  const head = line.slice(0, at);
  const trimmed = head.trimStart();
  if (
    trimmed === head ||
    !(trimmed === 'at ' || (trimmed.startsWith('at ') && head.endsWith(' (')))
  ) {
    return line;
  }
  const position = POSITION.exec(line.slice(at + filename.length));
  if (position === null) return line;
  const [, row = '', column = '', tail = ''] = position;
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
  if (!json.includes('"error":')) return reply;
  const outcome = JSON.parse(json) as { error?: { stack?: unknown } };
  if (typeof outcome.error?.stack !== 'string') return reply;
  outcome.error.stack = map.mapStack(outcome.error.stack, filename);
  return { ...reply, json: JSON.stringify(outcome) };
}

/** How queue-batch.mts's outcome serialises: its type comes first. */
const QUEUE_OUTCOME = '{"type":"queue-outcome"';
