import type { InvocationView } from '../../core/api.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { formatValue, writeJson, writeLine } from '../output.ts';

export const status = defineCommand({
  name: 'status',
  summary: 'show an invocation: status, timings, result or error, logs',
  params: ['ID'],
  description: `
Shows one invocation (the id \`fn invoke --async\` printed): its status (queued, running,
succeeded, failed, retrying or dead), attempts, timings, node, result or error, and logs.
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
  if (view.error) lines.push(`  error:    ${view.error.message} (${view.error.code})`);
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
