/**
 * structuredClone for the types functions pass around: primitives, plain objects, arrays, Date,
 * RegExp, Map, Set, ArrayBuffer, typed arrays, DataView and errors, keeping shared and circular
 * references. Functions, symbols and class instances with hidden state throw DataCloneError.
 */

function dataCloneError(what: string): Error {
  const error = new Error(`${what} could not be cloned`);
  error.name = 'DataCloneError';
  return error;
}

const ERROR_TYPES: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

export function structuredClone<T>(value: T): T {
  const memory = new Map<object, unknown>();

  const clone = (input: unknown): unknown => {
    if (typeof input === 'function') throw dataCloneError(`${String(input.name || 'function')}()`);
    if (typeof input === 'symbol') throw dataCloneError(input.toString());
    if (typeof input !== 'object' || input === null) return input;
    const known = memory.get(input);
    if (known !== undefined) return known;
    const remember = <U>(copy: U): U => {
      memory.set(input, copy);
      return copy;
    };
    if (input instanceof Date) return remember(new Date(input.getTime()));
    if (input instanceof RegExp) return remember(new RegExp(input.source, input.flags));
    if (input instanceof ArrayBuffer) return remember(input.slice(0));
    if (ArrayBuffer.isView(input)) {
      const buffer = clone(input.buffer) as ArrayBuffer;
      const View = input.constructor as new (
        b: ArrayBuffer,
        o: number,
        l: number,
      ) => ArrayBufferView;
      const length =
        input instanceof DataView ? input.byteLength : (input as unknown as Uint8Array).length;
      return remember(new View(buffer, input.byteOffset, length));
    }
    if (input instanceof Map) {
      const copy = remember(new Map<unknown, unknown>());
      for (const [k, v] of input) copy.set(clone(k), clone(v));
      return copy;
    }
    if (input instanceof Set) {
      const copy = remember(new Set<unknown>());
      for (const v of input) copy.add(clone(v));
      return copy;
    }
    if (input instanceof Error) {
      const Type = ERROR_TYPES[input.name] ?? Error;
      const copy = remember(new Type(input.message));
      if (typeof input.stack === 'string') copy.stack = input.stack;
      return copy;
    }
    if (Array.isArray(input)) {
      const copy = remember(new Array<unknown>(input.length));
      for (let i = 0; i < input.length; i++) copy[i] = clone(input[i]);
      return copy;
    }
    const proto = Object.getPrototypeOf(input) as object | null;
    if (proto !== Object.prototype && proto !== null) {
      throw dataCloneError(
        String((input as { constructor?: { name?: string } }).constructor?.name),
      );
    }
    const copy: Record<string, unknown> = remember({});
    for (const key of Object.keys(input))
      copy[key] = clone((input as Record<string, unknown>)[key]);
    return copy;
  };

  return clone(value) as T;
}
