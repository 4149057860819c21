import { parseCount } from '../args.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { table, writeJson, writeLine } from '../output.ts';

/** Longest error message shown in a row of the list; `fn dlq show` has all of it. */
const MESSAGE_WIDTH = 60;

export const dlqLs = defineCommand({
  name: 'dlq ls',
  summary: "list a function's dead-letter queue",
  params: ['NAME'],
  description: `
Lists the invocations NAME gave up on (no attempt left, or the event grew too old), oldest
first: id, the attempt that gave up, when, and its error. --limit (100 by default) and
--after SEQ page through a long queue. --json prints the DeadLetterListResponse.`,
  options: {
    limit: { type: 'string', placeholder: 'N', description: 'at most N entries (default 100)' },
    after: { type: 'string', placeholder: 'SEQ', description: 'entries after SEQ (paging)' },
  },
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const query = {
      ...(values.limit === undefined ? {} : { limit: parseCount('dlq ls', 'limit', values.limit) }),
      ...(values.after === undefined ? {} : { after: parseCount('dlq ls', 'after', values.after) }),
    };
    const page = await connect(values, io).listDeadLetters(name, query);
    if (values.json) return writeJson(io, page);
    if (page.total === 0) {
      writeLine(io.stderr, `the dead-letter queue of ${name} is empty`);
      return;
    }
    const rows = page.deadLetters.map((letter) => [
      letter.id,
      String(letter.attempt),
      letter.deadAt,
      `${letter.error.code}: ${shorten(letter.error.message)}`,
    ]);
    writeLine(io.stdout, table([['ID', 'ATTEMPT', 'DEAD AT', 'ERROR'], ...rows]));
    const shown = page.deadLetters.length;
    if (page.next !== undefined) {
      writeLine(io.stderr, `${shown} of ${page.total} shown; more with --after ${page.next}`);
    }
  },
});

function shorten(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > MESSAGE_WIDTH ? `${line.slice(0, MESSAGE_WIDTH - 3)}...` : line;
}
