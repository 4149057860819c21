/**
 * The agent logs an invocation's lines through a FieldsLogger (runtime/fields-logger.ts) instead
 * of a pino child per invocation: the lines must read as the child's would.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../core/logger.ts';
import { FieldsLogger } from '../../runtime/fields-logger.ts';

function capture(): { lines: () => Record<string, unknown>[]; stream: PassThrough } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const fields = JSON.parse(line) as Record<string, unknown>;
        delete fields.time; // differs between the two loggers
        return fields;
      });
  return { lines, stream };
}

test('a FieldsLogger writes the lines a child with the same bindings writes', async () => {
  const viaChild = capture();
  const viaFields = capture();
  const fields = { fn: 'f', id: 'inv-1', callId: 'call-1', attempt: 2 };
  const child = createLogger({ level: 'debug', destination: viaChild.stream }).child(fields);
  const lazy = new FieldsLogger(
    createLogger({ level: 'debug', destination: viaFields.stream }),
    fields,
  );
  for (const log of [child, lazy]) {
    log.debug({ status: 'ok', ms: 1 }, 'invocation finished');
    log.info({}, 'skipping a cancelled invocation');
    log.warn({ err: new Error('down'), token: 'secret' }, 'result not recorded');
    log.error({ attempt: 3 }, 'overrides a field');
    log.child({ part: 'x' }).info({ n: 1 }, 'from a child');
  }
  await new Promise((resolve) => setImmediate(resolve));
  const expected = viaChild.lines();
  assert.equal(expected.length, 5);
  assert.deepEqual(viaFields.lines(), expected);
  assert.equal(expected[2]?.token, '[Redacted]');
});

test('a FieldsLogger writes nothing below the level, and makes no child for it', () => {
  const parent = createLogger({ level: 'info', destination: new PassThrough() });
  let children = 0;
  const counting = Object.assign(Object.create(parent) as typeof parent, {
    child: (bindings: Record<string, unknown>) => {
      children += 1;
      return parent.child(bindings);
    },
  });
  new FieldsLogger(counting, { id: 'inv-1' }).debug({}, 'invisible');
  assert.equal(children, 0);
});

test('a FieldsLogger leaves a line below the level unbuilt, and writes it once the level allows', () => {
  const parent = createLogger({ level: 'info', destination: new PassThrough() });
  const seen: object[] = [];
  const counting = Object.assign(Object.create(parent) as typeof parent, {
    debug: (obj: object) => void seen.push(obj),
  });
  const log = new FieldsLogger(counting, { id: 'inv-1' });
  log.debug({ ms: 1 }, 'below the level');
  assert.deepEqual(seen, []);
  (parent as unknown as { level: string }).level = 'debug'; // the level as pino's is changed
  log.debug({ ms: 2 }, 'at the level');
  assert.deepEqual(seen, [{ id: 'inv-1', ms: 2 }]);
});
