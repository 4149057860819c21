/**
 * Values in and out of jsonb and text columns. PostgreSQL refuses the NUL character in both
 * (jsonb rejects "\u0000", text cannot hold the byte), so it is replaced by U+FFFD: a function
 * whose result or log line carries one must not make its result unrecordable, which would
 * leave the broker redelivering it forever.
 */

const NUL = /\0/g;

/** JSON text for a jsonb parameter; `undefined` stays SQL NULL, `null` is kept as JSON null. */
export function toJson(value: unknown): string | null {
  if (value === undefined) return null;
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'string' ? safeText(item) : item,
  );
}

/** The value of a jsonb column read as text (see Database): SQL NULL is undefined. */
export function fromJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

/** Text PostgreSQL accepts. */
export function safeText(text: string): string {
  return text.includes('\0') ? text.replace(NUL, '\uFFFD') : text;
}
