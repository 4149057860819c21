import { isAbsolute, relative } from 'node:path';

/**
 * How a file is named in messages: relative to the working directory when it lies inside it,
 * so `file:line:col` is short and clickable in a terminal, absolute otherwise.
 */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
