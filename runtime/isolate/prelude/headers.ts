/**
 * WHATWG Headers: case-insensitive names, values combined with ", " except Set-Cookie, iteration
 * sorted by lower-cased name as the Fetch standard says.
 */

export type HeadersInit = Headers | [string, string][] | Record<string, string>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Header values must not contain NUL, CR or LF.
const INVALID_VALUE = /[\0\r\n]/;

function normalizeName(name: string): string {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Invalid header name: "${text}"`);
  return text.toLowerCase();
}

function normalizeValue(value: string): string {
  // Leading and trailing HTTP whitespace is stripped, as the standard's "normalize" step does.
  const text = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  if (INVALID_VALUE.test(text)) throw new TypeError(`Invalid header value: "${text}"`);
  return text;
}

export class Headers {
  /** Entries in insertion order, names lower-cased. */
  #list: [string, string][] = [];

  constructor(init?: HeadersInit | null) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, value] of init.#list) this.#list.push([name, value]);
    } else if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<unknown>) {
        const entry = [...(pair as Iterable<string>)];
        if (entry.length !== 2) throw new TypeError('Header pairs must have exactly two items');
        this.append(entry[0] as string, entry[1] as string);
      }
    } else if (typeof init === 'object') {
      for (const name of Object.keys(init))
        this.append(name, (init as Record<string, string>)[name] as string);
    } else {
      throw new TypeError('Headers init must be an object, an array of pairs or Headers');
    }
  }

  append(name: string, value: string): void {
    this.#list.push([normalizeName(name), normalizeValue(value)]);
  }

  delete(name: string): void {
    const key = normalizeName(name);
    this.#list = this.#list.filter(([n]) => n !== key);
  }

  get(name: string): string | null {
    const key = normalizeName(name);
    const values = this.#list.filter(([n]) => n === key).map(([, v]) => v);
    return values.length === 0 ? null : values.join(', ');
  }

  getSetCookie(): string[] {
    return this.#list.filter(([n]) => n === 'set-cookie').map(([, v]) => v);
  }

  has(name: string): boolean {
    const key = normalizeName(name);
    return this.#list.some(([n]) => n === key);
  }

  set(name: string, value: string): void {
    const key = normalizeName(name);
    const text = normalizeValue(value);
    const index = this.#list.findIndex(([n]) => n === key);
    if (index < 0) {
      this.#list.push([key, text]);
      return;
    }
    this.#list[index] = [key, text];
    this.#list = this.#list.filter(([n], i) => i <= index || n !== key);
  }

  forEach(
    callback: (value: string, name: string, headers: Headers) => void,
    thisArg?: unknown,
  ): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    const names = [...new Set(this.#list.map(([n]) => n))].sort();
    for (const name of names) {
      if (name === 'set-cookie') {
        for (const value of this.getSetCookie()) yield [name, value];
      } else {
        yield [name, this.get(name) as string];
      }
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }
}
