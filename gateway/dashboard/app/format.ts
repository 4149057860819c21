/** Short human formats for the tables. */

/** `12 ms`, `1.4 s`, `2.0 min`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** `just now`, `12 s ago`, `3 min ago`, `2 h ago`. */
export function ago(epochMs: number | undefined, now: number): string {
  if (epochMs === undefined) return '–';
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** `14:03:27` in the browser's time zone. */
export function clock(epochMs: number | undefined): string {
  if (epochMs === undefined) return '–';
  return new Date(epochMs).toLocaleTimeString(undefined, { hour12: false });
}

/** The first characters of an id, enough to tell rows apart. */
export function shortId(id: string): string {
  return id.length > 10 ? `${id.slice(0, 10)}…` : id;
}
