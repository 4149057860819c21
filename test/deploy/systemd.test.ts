/**
 * The systemd units of deploy/systemd/: `systemd-analyze verify` finds nothing to say about them
 * (an unknown key or a missing executable would be a warning or an error), they restart on
 * failure and give the drain time to finish, and their commands use only real `fn` options and
 * variables that the example environment files define.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { flagsOf, fnOptions, REPO, variablesInCode } from './deploy-files.ts';

const run = promisify(execFile);
const UNITS = {
  'fjord-gateway.service': { command: 'gateway', env: 'gateway.env.example' },
  'fjord-node.service': { command: 'node', env: 'node.env.example' },
} as const;

/** `Key=value` settings of a unit or an environment file, comments and blank lines left out. */
function settings(file: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(join(REPO, 'deploy/systemd', file), 'utf8').split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const [, key = '', value = ''] = match;
    map.set(key, [...(map.get(key) ?? []), value]);
  }
  return map;
}

test('systemd-analyze verify accepts both units without a warning', async () => {
  for (const unit of Object.keys(UNITS)) {
    const { stderr } = await run('systemd-analyze', ['verify', join(REPO, 'deploy/systemd', unit)]);
    assert.equal(stderr, '', `${unit}: ${stderr}`);
  }
});

test('restart on failure, one SIGTERM to the main process, time to drain, a user of their own', () => {
  for (const unit of Object.keys(UNITS)) {
    const s = settings(unit);
    assert.deepEqual(s.get('Restart'), ['on-failure'], unit);
    assert.deepEqual(s.get('KillSignal'), ['SIGTERM'], unit);
    assert.deepEqual(s.get('KillMode'), ['mixed'], unit);
    const timeout = Number(/^(\d+)s$/.exec(s.get('TimeoutStopSec')?.[0] ?? '')?.[1]);
    assert.ok(timeout > 30, `${unit}: the node drains for 30 s; TimeoutStopSec=${timeout}`);
    assert.deepEqual(s.get('User'), ['fjord'], unit);
    assert.deepEqual(s.get('NoNewPrivileges'), ['yes'], unit);
    // V8 writes the machine code it compiles: this one would stop every isolate.
    assert.equal(s.get('MemoryDenyWriteExecute'), undefined, unit);
    assert.match(s.get('EnvironmentFile')?.[0] ?? '', /^\/etc\/fjord\/\w+\.env$/, unit);
  }
  const sysusers = readFileSync(join(REPO, 'deploy/systemd/fjord.sysusers.conf'), 'utf8');
  assert.match(sysusers, /^u fjord /m);
});

test('ExecStart runs real fn options with variables the example environment files define', async () => {
  const inCode = variablesInCode();
  for (const [unit, { command, env }] of Object.entries(UNITS)) {
    const s = settings(unit);
    const [node, script, name, ...args] = (s.get('ExecStart')?.[0] ?? '').split(/\s+/);
    assert.equal(node, '/usr/local/bin/node');
    assert.equal(script, '/opt/fjord/bin/fn.ts');
    assert.equal(name, command);
    const known = await fnOptions(command);
    for (const flag of flagsOf(args)) assert.ok(known.has(flag), `fn ${command} has no --${flag}`);
    const defined = settings(env);
    const expanded = [...(s.get('ExecStart')?.[0] ?? '').matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    for (const variable of expanded) {
      assert.ok(defined.has(variable ?? ''), `${env} defines ${variable}`);
    }
    // Every other variable of the example is one fn reads itself.
    for (const variable of defined.keys()) {
      if (expanded.includes(variable)) continue;
      assert.ok(inCode.has(variable), `${env}: no code reads ${variable}`);
    }
  }
});
