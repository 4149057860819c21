import type { AttemptView, CallbackView, InvocationView } from '../../core/api.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { formatValue, writeJson, writeLine } from '../output.ts';

export const status = defineCommand({
  name: 'status',
  summary: 'show an invocation: status, timings, result or error, attempts, callback, logs',
  params: ['ID'],
  description: `
Shows one invocation (the id \`fn invoke --async\` printed): its status (queued, running,
succeeded, failed, retrying or dead), attempts, timings, node, result or error, the history of
attempts (number, outcome, node, error code, time), the callback's delivery, and logs.
--json prints the InvocationView.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [id = ''] = positionals;
    const view = await connect(values, io).getInvocation(id);
    if (values.json) return writeJson(io, view);
    writeLine(io.stdout, describeInvocation(view));
  },
});

function describeInvocation(view: InvocationView): string {
  const lines = [
    `${view.id}  ${view.status}`,
    `  function: ${view.fn} version ${view.version} (${view.trigger}, ${view.mode})`,
    `  call id:  ${view.callId}`,
    `  attempts: ${view.attempts}`,
    `  queued:   ${view.queuedAt}`,
  ];
  if (view.startedAt)
    lines.push(`  started:  ${view.startedAt}${view.node ? ` on ${view.node}` : ''}`);
  if (view.endedAt) {
    const facts = [
      view.durationMs === undefined ? '' : `${view.durationMs} ms`,
      view.coldStart ? 'cold start' : '',
    ].filter(Boolean);
    lines.push(`  ended:    ${view.endedAt}${facts.length ? ` (${facts.join(', ')})` : ''}`);
  }
  if (view.error) {
    lines.push(`  error:    ${view.error.message} (${view.error.code})`);
    // The function's own stack: its frames, mapped to the source when deployed with a map.
    const frames = (view.error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
    for (const frame of frames) lines.push(`            ${frame.trim()}`);
  }
  if (view.nextAttemptAt) lines.push(`  next try: ${view.nextAttemptAt}`);
  if (view.history !== undefined && view.history.length > 0) {
    lines.push('  history:');
    for (const attempt of view.history) lines.push(`    ${describeAttempt(attempt)}`);
  }
  if (view.callback) lines.push(`  callback: ${describeCallback(view.callback)}`);
  if (view.result !== undefined) {
    lines.push(`  result:   ${formatValue(view.result).replaceAll('\n', '\n            ')}`);
  }
  if (view.logs.length > 0) {
    lines.push('  logs:');
    for (const log of view.logs) {
      lines.push(`    ${new Date(log.ts).toISOString()} ${log.level.padEnd(5)} ${log.message}`);
    }
  }
  return lines.join('\n');
}

/** One line per attempt: number, outcome, node, when it ran, and the error code if it failed. */
function describeAttempt(attempt: AttemptView): string {
  const facts = [
    `#${attempt.attempt}`,
    attempt.status.padEnd(9),
    attempt.node === undefined ? '' : `on ${attempt.node}`,
    attempt.startedAt ?? attempt.endedAt ?? '',
    attempt.error === undefined
      ? ''
      : `${attempt.error.code}: ${attempt.error.message.split('\n')[0] ?? ''}`,
  ];
  return facts.filter(Boolean).join('  ').trimEnd();
}

/** Where the result goes and how far its delivery got. */
function describeCallback(callback: CallbackView): string {
  const tries = `${callback.attempts} ${callback.attempts === 1 ? 'try' : 'tries'}`;
  const last = [
    callback.lastStatus === undefined ? '' : `HTTP ${callback.lastStatus}`,
    callback.lastError ?? '',
  ].filter(Boolean);
  const lastText = last.length > 0 ? `, last: ${last.join(', ')}` : '';
  const after = callback.attempts > 0 ? ` after ${tries}` : '';
  const next = callback.nextAt ? `, next at ${callback.nextAt}` : '';
  const at = callback.deliveredAt ? ` at ${callback.deliveredAt}` : '';
  switch (callback.state) {
    case 'waiting':
      return `${callback.url} (waiting for the invocation to end)`;
    case 'pending':
      return `${callback.url} (pending${after}${lastText}${next})`;
    case 'delivered':
      return `${callback.url} (delivered${at} after ${tries})`;
    case 'failed':
      return `${callback.url} (failed after ${tries}${lastText})`;
  }
}
