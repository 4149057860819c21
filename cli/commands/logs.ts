import { setTimeout as delay } from 'node:timers/promises';
import type { LogRecord } from '../../core/store.ts';
import { parseCount } from '../args.ts';
import { defineCommand, type Io } from '../command.ts';
import { connect } from '../connect.ts';
import { writeJson, writeLine } from '../output.ts';

/** How often --follow asks for new lines when the last page was not full. */
const FOLLOW_INTERVAL_MS = 1000;
/** The gateway's largest page. */
const PAGE = 1000;

export const logs = defineCommand({
  name: 'logs',
  summary: "print a function's logs, or follow them",
  params: ['NAME'],
  description: `
Prints the function's latest log lines (--limit, 100 by default), oldest first, each with its
time, level and invocation id. --follow keeps printing new lines until Ctrl-C.
--json prints one LogRecord per line.`,
  options: {
    follow: { type: 'boolean', short: 'f', description: 'keep printing new lines until Ctrl-C' },
    invocation: {
      type: 'string',
      placeholder: 'ID',
      description: 'only the lines of invocation ID',
    },
    limit: { type: 'string', placeholder: 'N', description: 'how many recent lines (default 100)' },
  },
  connects: true,
  async run({ values, positionals }, io) {
    const [name = ''] = positionals;
    const client = connect(values, io);
    const limit = values.limit === undefined ? 100 : parseCount('logs', 'limit', values.limit);
    const print = (records: LogRecord[]): void => {
      for (const record of records) {
        if (values.json) writeJson(io, record);
        else writeLine(io.stdout, formatRecord(record));
      }
    };
    const query = values.invocation === undefined ? {} : { invocation: values.invocation };
    let page = await client.listLogs(name, { ...query, limit });
    print(page.logs);
    if (!values.follow) return;
    // Ctrl-C ends a follow normally: stop polling and exit 0.
    while (!io.signal.aborted) {
      if (page.logs.length < PAGE && !(await pause(io))) return;
      try {
        page = await client.listLogs(name, { ...query, after: page.next, limit: PAGE });
      } catch (error) {
        if (io.signal.aborted) return;
        throw error;
      }
      print(page.logs);
    }
  },
});

function formatRecord(record: LogRecord): string {
  return `${new Date(record.ts).toISOString()} ${record.level.padEnd(5)} [${record.invocationId}] ${record.message}`;
}

/** Waits one interval; false when the user stopped the follow meanwhile. */
async function pause(io: Io): Promise<boolean> {
  try {
    await delay(FOLLOW_INTERVAL_MS, undefined, { signal: io.signal });
    return true;
  } catch {
    return false;
  }
}
