import { text } from 'node:stream/consumers';
import type { InvocationView } from '../../core/api.ts';
import { defineCommand, type Io } from '../command.ts';
import { connect } from '../connect.ts';
import { CliError, UsageError } from '../errors.ts';
import { hintFor } from '../hints.ts';
import { formatValue, writeJson, writeLine } from '../output.ts';

export const invoke = defineCommand({
  name: 'invoke',
  summary: 'invoke a function with a JSON event',
  params: ['NAME'],
  description: `
Sends a JSON event to the function's default export (a function (event, ctx)). The event is
--data, else stdin when it is not a terminal, else {}. Waits for the result and prints it
(strings as they are, anything else as JSON); the function's logs go to stderr. A failed
invocation exits with 1.

--async only queues it: prints the invocation id and its status URL (see \`fn status ID\`).
--json prints the InvocationView, or {"id": ..., "location": ...} with --async.`,
  options: {
    data: { type: 'string', placeholder: 'JSON', description: 'the event, as JSON' },
    async: { type: 'boolean', description: 'queue it and print its id instead of waiting' },
  },
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const event = await readEvent(values.data, io);
    const client = connect(values, io);
    if (values.async) {
      const accepted = await client.invokeAsync(name, event);
      if (values.json) return writeJson(io, accepted);
      writeLine(io.stdout, `id: ${accepted.id}`);
      writeLine(io.stdout, `location: ${accepted.location}`);
      writeLine(io.stderr, `queued; \`fn status ${accepted.id}\` shows how it went`);
      return;
    }
    const view = await client.invokeAndWait(name, event);
    if (values.json) {
      writeJson(io, view);
      return view.status === 'succeeded' ? 0 : 1;
    }
    for (const log of view.logs) writeLine(io.stderr, `[${log.level}] ${log.message}`);
    if (view.status !== 'succeeded') throw failure(view);
    if (view.result !== undefined) writeLine(io.stdout, formatValue(view.result));
  },
});

async function readEvent(data: string | undefined, io: Io): Promise<unknown> {
  if (data !== undefined) return parseEvent(data, '--data');
  if (io.stdin.isTTY) return {};
  const input = await text(io.stdin);
  return input.trim() === '' ? {} : parseEvent(input, 'stdin');
}

function parseEvent(json: string, source: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (error) {
    throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`, 'invoke');
  }
}

function failure(view: InvocationView): CliError {
  const code = view.error?.code;
  return new CliError(view.error?.message ?? `invocation ${view.id} ended ${view.status}`, {
    ...(code === undefined ? {} : { code }),
    hint: `${hintFor(code) ?? 'see its logs'}; \`fn status ${view.id}\` has the details`,
  });
}
