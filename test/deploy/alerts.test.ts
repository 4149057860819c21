/**
 * docs/alerts.yaml cannot rot: promtool accepts the rules and passes their unit tests
 * (alerts.rules-test.yaml, which must cover every alert), and every Fjord metric the rules name
 * is one a real gateway exposes on /metrics.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { readCredentials } from '../e2e/support/api.ts';
import { startFn } from '../e2e/support/fn-process.ts';
import { readYaml, REPO } from './deploy-files.ts';

const run = promisify(execFile);
const ALERTS = 'docs/alerts.yaml';
const RULE_TESTS = 'test/deploy/alerts.rules-test.yaml';

interface Rules {
  groups: { rules: { alert: string; expr: string }[] }[];
}
const rules = (readYaml(ALERTS) as Rules).groups.flatMap((group) => group.rules);

test('promtool accepts the rules and their unit tests pass', async () => {
  const check = await run('promtool', ['check', 'rules', join(REPO, ALERTS)]);
  assert.match(check.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  // promtool exits non-zero (and run() rejects) when an expected alert does not fire.
  const unit = await run('promtool', ['test', 'rules', join(REPO, RULE_TESTS)]);
  assert.match(unit.stdout, /SUCCESS/);
});

test('every alert has a unit test case', () => {
  const tests = readYaml(RULE_TESTS) as {
    tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const firing = new Set(
    tests.tests.flatMap((t) =>
      t.alert_rule_test.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname),
    ),
  );
  for (const { alert } of rules) assert.ok(firing.has(alert), `${alert} is tested firing`);
});

test('every Fjord metric the rules name is on a real gateway /metrics', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fjord-alerts-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startFn(['up', '--port', '0', '--data-dir', dataDir, '--no-examples']);
  after(() => server.stop());
  const { gateway, token } = readCredentials(server.ready.credentials ?? '');
  const response = await fetch(`${gateway}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  const text = await response.text();
  const exposed = new Set<string>();
  for (const [, name = '', type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    exposed.add(name);
    // A histogram is queried through its series, name_bucket, name_sum and name_count.
    if (type === 'histogram')
      for (const s of ['bucket', 'sum', 'count']) exposed.add(`${name}_${s}`);
  }
  const named = new Set(
    rules.flatMap(({ expr }) => [...expr.matchAll(/\bfjord_\w+/g)].map((m) => m[0])),
  );
  assert.ok(named.size >= 4, `the rules name Fjord metrics: ${[...named].join(', ')}`);
  for (const metric of named) assert.ok(exposed.has(metric), `${metric} is not on /metrics`);
  // The docs name the same rules file.
  assert.match(readFileSync(join(REPO, 'docs/operating.md'), 'utf8'), /alerts\.yaml/);
});
