import type { Message } from 'esbuild';

/** The messages of an esbuild build or transform failure; none for any other error. */
export function messagesOf(error: unknown): Message[] {
  const errors = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? (errors as Message[]) : [];
}

/**
 * `file:line:col`, the form editors and terminals link to, or undefined when esbuild gave no
 * location. esbuild's columns count from 0, editors' from 1.
 */
export function positionOf(message: Message): string | undefined {
  const at = message.location;
  return at ? `${at.file}:${at.line}:${at.column + 1}` : undefined;
}

/** `file:line:col: text`, or the text alone. */
export function formatMessage(message: Message): string {
  const position = positionOf(message);
  return position ? `${position}: ${message.text}` : message.text;
}
