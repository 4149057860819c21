// The node image's entrypoint: `fn` itself, after reading the node token from the file named by
// FN_TOKEN_FILE when FN_TOKEN is not set (a Docker secret, or the gateway's data volume mounted
// read-only as in docker/compose.yaml). The gateway writes that file just after it starts
// listening, so a node started with it waits for the file instead of failing on the race.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const WAIT_MS = Number(process.env.FN_TOKEN_FILE_WAIT_MS ?? 60_000);

async function tokenFromFile(path) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const token = (await readFile(path, 'utf8')).trim();
      if (token !== '') return token;
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    if (Date.now() > deadline) {
      console.error(`error: no node token in ${path} after ${WAIT_MS} ms (FN_TOKEN_FILE)`);
      process.exit(1);
    }
    await sleep(250);
  }
}

if (!process.env.FN_TOKEN && process.env.FN_TOKEN_FILE) {
  process.env.FN_TOKEN = await tokenFromFile(process.env.FN_TOKEN_FILE);
}
// fn reads its arguments from process.argv.slice(2): the same positions as for bin/fn.ts.
await import('../../bin/fn.ts');
