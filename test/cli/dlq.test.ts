/** `fn dlq` against a stand-in gateway answering as core/api.ts says. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeadLetterDetail, DeadLetterView } from '../../core/api.ts';
import {
  startStandInGateway,
  type Reply,
  type Seen,
  type StandInGateway,
} from './stand-in-gateway.ts';

let stand: StandInGateway;
let seen: Seen[];
let replies: Map<string, Reply>;

before(async () => {
  stand = await startStandInGateway({
    status: 404,
    body: { error: { code: 'DEAD_LETTER_NOT_FOUND', message: 'no such dead letter' } },
  });
  ({ seen, replies } = stand);
});

after(() => {
  stand.close();
});

const fn = (...args: string[]) => stand.fn('/', ...args);

const letter: DeadLetterView = {
  id: 'inv-1',
  seq: 7,
  fn: 'job',
  callId: 'call-1',
  version: 2,
  attempt: 3,
  node: 'node-a',
  error: { code: 'FUNCTION_ERROR', message: 'payment service down\nat line 3' },
  queuedAt: '2026-11-23T10:00:00.000Z',
  deadAt: '2026-11-23T10:00:07.000Z',
};

describe('fn dlq', () => {
  it('ls prints a table, says when there is more, and --json prints the response', async () => {
    const page = { deadLetters: [letter], total: 2, next: 7 };
    replies.set('GET /v1/functions/job/dlq?limit=1', { status: 200, body: page });
    const { code, stdout, stderr } = await fn('dlq', 'ls', 'job', '--limit', '1');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^ID\s+ATTEMPT\s+DEAD AT\s+ERROR\n/);
    assert.match(
      stdout,
      /inv-1\s+3\s+2026-11-23T10:00:07.000Z\s+FUNCTION_ERROR: payment service down\n/,
    );
    assert.match(stderr, /1 of 2 shown; more with --after 7/);
    const json = await fn('dlq', 'ls', 'job', '--limit', '1', '--json');
    assert.deepEqual(JSON.parse(json.stdout), page);

    replies.set('GET /v1/functions/empty/dlq', {
      status: 200,
      body: { deadLetters: [], total: 0 },
    });
    const empty = await fn('dlq', 'ls', 'empty');
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, '');
    assert.match(empty.stderr, /the dead-letter queue of empty is empty/);
    assert.equal((await fn('dlq', 'ls', 'job', '--limit', 'x')).code, 2);
  });

  it('show prints the error, the event and every attempt', async () => {
    const detail: DeadLetterDetail = {
      ...letter,
      payload: { kind: 'event', data: { order: 7 } },
      history: [
        { attempt: 1, status: 'failed', node: 'node-a', startedAt: 't1', error: letter.error },
        { attempt: 3, status: 'failed', node: 'node-b', startedAt: 't3', error: letter.error },
      ],
    };
    replies.set('GET /v1/functions/job/dlq/inv-1', { status: 200, body: detail });
    const { code, stdout } = await fn('dlq', 'show', 'job', 'inv-1');
    assert.equal(code, 0);
    assert.match(stdout, /^inv-1 {2}dead after attempt 3$/m);
    assert.match(stdout, /error: {4}payment service down/);
    assert.match(stdout, /event: {4}\{\n\s+"order": 7\n\s+\}/);
    assert.match(stdout, /^ {4}3 {2}t3 on node-b {2}failed: payment service down/m);

    const missing = await fn('dlq', 'show', 'job', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such dead letter \(DEAD_LETTER_NOT_FOUND\)/);
    assert.match(missing.stderr, /hint: `fn dlq ls NAME`/);
  });

  it('redrive sends the ids given, or none for the whole queue; a missing id exits 1', async () => {
    replies.set('POST /v1/functions/job/dlq/redrive', {
      status: 200,
      body: { redriven: 1, missing: ['inv-9'] },
    });
    const some = await fn('dlq', 'redrive', 'job', '--id', 'inv-1, inv-9');
    assert.deepEqual(JSON.parse(seen.at(-1)?.body ?? ''), { ids: ['inv-1', 'inv-9'] });
    assert.equal(some.code, 1);
    assert.equal(some.stdout, '', 'no success line when an id was not found');
    assert.match(
      some.stderr,
      /^error: not in the dead-letter queue of job: inv-9; the other 1 invocation\(s\) were redriven \(DEAD_LETTER_NOT_FOUND\)$/m,
    );

    replies.set('POST /v1/functions/job/dlq/redrive', {
      status: 200,
      body: { redriven: 0, missing: ['bogus'] },
    });
    const bogus = await fn('dlq', 'redrive', 'job', '--id', 'bogus');
    assert.equal(bogus.code, 1);
    assert.equal(bogus.stdout, '');
    assert.match(bogus.stderr, /: bogus; nothing was redriven \(DEAD_LETTER_NOT_FOUND\)$/m);
    const json = await fn('dlq', 'redrive', 'job', '--id', 'bogus', '--json');
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), { redriven: 0, missing: ['bogus'] });
    assert.match(json.stderr, /nothing was redriven \(DEAD_LETTER_NOT_FOUND\)/);

    replies.set('POST /v1/functions/job/dlq/redrive', {
      status: 200,
      body: { redriven: 4, missing: [] },
    });
    const all = await fn('dlq', 'redrive', 'job', '--json');
    assert.equal(all.code, 0);
    assert.deepEqual(JSON.parse(seen.at(-1)?.body ?? ''), {});
    assert.deepEqual(JSON.parse(all.stdout), { redriven: 4, missing: [] });
  });

  it('purge deletes the queue', async () => {
    replies.set('DELETE /v1/functions/job/dlq', { status: 200, body: { purged: 3 } });
    const { code, stdout } = await fn('dlq', 'purge', 'job');
    assert.equal(code, 0);
    assert.equal(stdout, 'purged 3 dead letter(s) of job\n');
    assert.equal(seen.at(-1)?.method, 'DELETE');
  });

  it('has help for itself and each subcommand, and refuses unknown ones', async () => {
    const bare = await fn('dlq');
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /Usage: fn dlq COMMAND NAME/);
    const help = await fn('dlq', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}redrive {3}run dead letters again$/m);
    const ls = await fn('dlq', 'ls', '--help');
    assert.match(ls.stdout, /^Usage: fn dlq ls NAME \[options\]/);
    assert.match((await fn('help', 'dlq')).stdout, /Usage: fn dlq COMMAND/);
    const unknown = await fn('dlq', 'drop', 'job');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "dlq drop"/);
    assert.equal((await fn('dlq', 'show', 'job')).code, 2, 'show needs an id');
  });
});
