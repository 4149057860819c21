/**
 * Attempt histories and dead letters shaped into the control API's wire types
 * (core/api.ts), in the manner of views.ts: ISO dates, errors as a client may see them.
 */
import type { AttemptView, DeadLetterView } from '../core/api.ts';
import type { AttemptRecord, DeadLetterRecord } from '../core/store.ts';
import { toErrorView } from './views.ts';

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export function toAttemptView(record: AttemptRecord, callId: string): AttemptView {
  const { startedAt, endedAt, error, ...rest } = record;
  const view: AttemptView = { ...rest };
  if (startedAt !== undefined) view.startedAt = iso(startedAt);
  if (endedAt !== undefined) view.endedAt = iso(endedAt);
  if (error !== undefined) view.error = toErrorView(error, callId);
  return view;
}

export function toDeadLetterView(record: DeadLetterRecord): DeadLetterView {
  return {
    id: record.invocationId,
    seq: record.seq,
    fn: record.fn,
    callId: record.callId,
    version: record.version,
    attempt: record.attempt,
    node: record.node,
    error: toErrorView(record.error, record.callId),
    queuedAt: iso(record.queuedAt),
    deadAt: iso(record.deadAt),
  };
}
