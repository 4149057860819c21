import type { RedriveResponse } from '../../core/api.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { CliError } from '../errors.ts';
import { reportError, writeJson, writeLine } from '../output.ts';

export const dlqRedrive = defineCommand({
  name: 'dlq redrive',
  summary: 'run dead letters again',
  params: ['NAME'],
  description: `
Queues the entries of NAME's dead-letter queue again, all of them or those --id names (comma
separated). Each runs the function's active version, so deploy the fix first; it keeps its
invocation id, counts on from its last attempt, and gets a fresh budget of retries. Ids that
are not in the queue are named in an error (exit 1); the others are redriven all the same.
--json prints the RedriveResponse (its "missing" lists those ids).`,
  options: {
    id: {
      type: 'string',
      placeholder: 'ID[,ID...]',
      description: 'only these invocations (default: the whole queue)',
    },
  },
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const ids = values.id
      ?.split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
    const response = await connect(values, io).redrive(name, ids === undefined ? {} : { ids });
    if (response.missing.length === 0) {
      if (values.json) return writeJson(io, response);
      return writeLine(io.stdout, `redriven ${response.redriven} invocation(s) of ${name}`);
    }
    const error = notFound(name, response);
    if (!values.json) throw error;
    // One document on stdout, which says both what ran and what was missing; the error on stderr.
    writeJson(io, response);
    return reportError(io, error, false);
  },
});

/** Ids the queue did not hold: the others were redriven all the same, so the message says so. */
function notFound(name: string, response: RedriveResponse): CliError {
  const ran =
    response.redriven === 0
      ? 'nothing was redriven'
      : `the other ${response.redriven} invocation(s) were redriven`;
  return new CliError(
    `not in the dead-letter queue of ${name}: ${response.missing.join(', ')}; ${ran}`,
    { code: 'DEAD_LETTER_NOT_FOUND', hint: `\`fn dlq ls ${name}\` lists what the queue holds` },
  );
}

export const dlqPurge = defineCommand({
  name: 'dlq purge',
  summary: 'empty a dead-letter queue',
  params: ['NAME'],
  description: `
Drops every entry of NAME's dead-letter queue for good (the invocations stay, as dead).
--json prints {"purged": N}.`,
  options: {},
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const response = await connect(values, io).purgeDeadLetters(name);
    if (values.json) return writeJson(io, response);
    writeLine(io.stdout, `purged ${response.purged} dead letter(s) of ${name}`);
  },
});
