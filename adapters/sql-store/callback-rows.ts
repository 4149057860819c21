import type { CallbackState } from '../../core/store.ts';

/** A callback's state as both SQL stores select it. */
export interface CallbackRow {
  url: string;
  state: CallbackState['state'];
  attempts: number;
  next_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

/** The columns of a {@link CallbackRow}. */
export const CALLBACK_COLUMNS = `url, state, attempts, next_at, last_status, last_error, delivered_at`;

/** Maps a callback row; a due time only means something while the callback is pending. */
export function toCallbackState(row: CallbackRow): CallbackState {
  const state: CallbackState = { url: row.url, state: row.state, attempts: row.attempts };
  if (row.next_at !== null && row.state === 'pending') state.nextAt = row.next_at;
  if (row.last_status !== null) state.lastStatus = row.last_status;
  if (row.last_error !== null) state.lastError = row.last_error;
  if (row.delivered_at !== null) state.deliveredAt = row.delivered_at;
  return state;
}
