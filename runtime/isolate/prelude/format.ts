/**
 * console.log formatting: strings as they are, everything else inspected in a compact,
 * JSON-like form close to Node's util.inspect, with printf-style %s %d %i %f %j %o %O %c %%.
 */

const MAX_DEPTH = 4;
const MAX_ITEMS = 100;

function inspectKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}

function inspectError(error: Error): string {
  const stack = typeof error.stack === 'string' ? error.stack : '';
  return stack.length > 0 ? stack : `${error.name}: ${error.message}`;
}

/** Inspects any value; `seen` guards against cycles. */
export function inspect(value: unknown, depth = 0, seen: Set<object> = new Set()): string {
  switch (typeof value) {
    case 'string':
      return depth === 0 ? value : JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function: ${value.name || '(anonymous)'}]`;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (seen.has(object)) return '[Circular]';
  if (object instanceof Error) return inspectError(object);
  if (object instanceof Date)
    return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof RegExp) return object.toString();
  if (depth >= MAX_DEPTH) return Array.isArray(object) ? '[Array]' : '[Object]';
  seen.add(object);
  try {
    return inspectContainer(object, depth, seen);
  } finally {
    seen.delete(object);
  }
}

function list(items: Iterable<unknown>, render: (item: unknown) => string): string[] {
  const out: string[] = [];
  let count = 0;
  for (const item of items) {
    if (count++ === MAX_ITEMS) {
      out.push('...');
      break;
    }
    out.push(render(item));
  }
  return out;
}

function inspectContainer(object: object, depth: number, seen: Set<object>): string {
  const inner = (item: unknown): string => inspect(item, depth + 1, seen);
  if (Array.isArray(object)) return `[ ${list(object, inner).join(', ')} ]`.replace('[  ]', '[]');
  if (ArrayBuffer.isView(object) && !(object instanceof DataView)) {
    const items = list(object as unknown as Iterable<unknown>, (n) => String(n));
    return `${object.constructor.name}(${(object as Uint8Array).length}) [ ${items.join(', ')} ]`;
  }
  if (object instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${object.byteLength} }`;
  if (object instanceof Map) {
    const items = list(object, (entry) => {
      const [k, v] = entry as [unknown, unknown];
      return `${inner(k)} => ${inner(v)}`;
    });
    return `Map(${object.size}) { ${items.join(', ')} }`;
  }
  if (object instanceof Set) return `Set(${object.size}) { ${list(object, inner).join(', ')} }`;
  if (object instanceof Promise) return 'Promise { <pending> }';
  const tag = (object as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  const name = typeof tag === 'string' ? tag : object.constructor?.name;
  const prefix = name === undefined || name === 'Object' ? '' : `${name} `;
  if (tag === 'Headers' || tag === 'URLSearchParams') {
    const items = list(object as Iterable<unknown>, (entry) => {
      const [k, v] = entry as [string, string];
      return `${JSON.stringify(k)} => ${JSON.stringify(v)}`;
    });
    return `${prefix}{ ${items.join(', ')} }`;
  }
  if (tag === 'URL') return `URL ${JSON.stringify((object as { href: string }).href)}`;
  const items = list(Object.keys(object), (key) => {
    const k = key as string;
    return `${inspectKey(k)}: ${inner((object as Record<string, unknown>)[k])}`;
  });
  return items.length === 0 ? `${prefix}{}` : `${prefix}{ ${items.join(', ')} }`;
}

/** The message one console call prints. */
export function formatLogArgs(args: unknown[]): string {
  if (args.length === 0) return '';
  const [first, ...rest] = args;
  if (typeof first !== 'string' || !first.includes('%'))
    return args.map((a) => inspect(a)).join(' ');
  let index = 0;
  const head = first.replace(/%([sdifjoOc%])/g, (match, spec: string) => {
    if (spec === '%') return '%';
    if (index >= rest.length) return match;
    const arg = rest[index++];
    switch (spec) {
      case 's':
        return typeof arg === 'string' ? arg : inspect(arg, 1);
      case 'd':
      case 'i': {
        const n = typeof arg === 'bigint' ? arg : Number(arg);
        return typeof n === 'bigint' ? `${n}n` : String(spec === 'i' ? Math.trunc(n) : n);
      }
      case 'f':
        return String(Number(arg));
      case 'j':
        try {
          return JSON.stringify(arg) ?? 'undefined';
        } catch {
          return '[Circular]';
        }
      case 'c':
        return '';
      default:
        return inspect(arg, 1);
    }
  });
  return [head, ...rest.slice(index).map((a) => inspect(a))].join(' ');
}
