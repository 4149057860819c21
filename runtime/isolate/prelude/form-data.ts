/** FormData: an ordered list of name/value entries whose values are strings or Files. */
import { Blob, File } from './blob.ts';

export type FormDataEntryValue = string | File;

function toValue(value: unknown, filename: string | undefined): FormDataEntryValue {
  if (value instanceof Blob) {
    if (filename !== undefined) return new File([value], String(filename), { type: value.type });
    if (value instanceof File) return value;
    return new File([value], 'blob', { type: value.type });
  }
  return String(value);
}

export class FormData {
  #entries: [string, FormDataEntryValue][] = [];

  constructor(form?: unknown) {
    if (form !== undefined) throw new TypeError('FormData: there is no HTML form to read here');
  }

  append(name: string, value: string | Blob, filename?: string): void {
    this.#entries.push([String(name), toValue(value, filename)]);
  }

  set(name: string, value: string | Blob, filename?: string): void {
    const key = String(name);
    const entry: [string, FormDataEntryValue] = [key, toValue(value, filename)];
    const index = this.#entries.findIndex(([n]) => n === key);
    if (index < 0) {
      this.#entries.push(entry);
      return;
    }
    this.#entries = this.#entries.filter(([n], i) => i < index || n !== key);
    this.#entries.splice(index, 0, entry);
  }

  get(name: string): FormDataEntryValue | null {
    const key = String(name);
    return this.#entries.find(([n]) => n === key)?.[1] ?? null;
  }

  getAll(name: string): FormDataEntryValue[] {
    const key = String(name);
    return this.#entries.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    const key = String(name);
    return this.#entries.some(([n]) => n === key);
  }

  delete(name: string): void {
    const key = String(name);
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }

  forEach(
    callback: (value: FormDataEntryValue, name: string, form: FormData) => void,
    thisArg?: unknown,
  ): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, FormDataEntryValue]> {
    for (const [name, value] of this.#entries) yield [name, value];
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.#entries) yield name;
  }

  *values(): IterableIterator<FormDataEntryValue> {
    for (const [, value] of this.#entries) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, FormDataEntryValue]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'FormData';
  }
}
