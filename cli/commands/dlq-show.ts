import type { DeadLetterDetail } from '../../core/api.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { formatValue, writeJson, writeLine } from '../output.ts';

export const dlqShow = defineCommand({
  name: 'dlq show',
  summary: 'show one dead letter: error, payload, attempts',
  params: ['NAME', 'ID'],
  description: `
Shows one entry of NAME's dead-letter queue: the error it died of, what it carried (the event,
or the HTTP request), and every attempt with its node and error. --json prints the
DeadLetterDetail.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [name = '', id = ''] = positionals;
    const letter = await connect(values, io).getDeadLetter(name, id);
    if (values.json) return writeJson(io, letter);
    writeLine(io.stdout, describe(letter));
  },
});

function describe(letter: DeadLetterDetail): string {
  const lines = [
    `${letter.id}  dead after attempt ${letter.attempt}`,
    `  function: ${letter.fn} version ${letter.version}`,
    `  call id:  ${letter.callId}`,
    `  queued:   ${letter.queuedAt}`,
    `  dead:     ${letter.deadAt} on ${letter.node}`,
    `  error:    ${letter.error.message} (${letter.error.code})`,
  ];
  const { payload } = letter;
  if (payload.kind === 'event') {
    lines.push(`  event:    ${formatValue(payload.data).replaceAll('\n', '\n            ')}`);
  } else {
    lines.push(`  request:  ${payload.request.method} ${payload.request.url}`);
  }
  if (letter.history.length > 0) lines.push('  attempts:');
  for (const attempt of letter.history) {
    const where = attempt.node === undefined ? '' : ` on ${attempt.node}`;
    const why =
      attempt.error === undefined ? '' : `: ${attempt.error.message} (${attempt.error.code})`;
    lines.push(
      `    ${attempt.attempt}  ${attempt.startedAt ?? ''}${where}  ${attempt.status}${why}`,
    );
  }
  return lines.join('\n');
}
