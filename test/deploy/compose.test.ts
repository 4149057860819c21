/**
 * docker/compose.yaml read as data (no `docker compose` here, and no registry to pull its images
 * from): every service is wired to something that exists, and the Fjord commands in it use only
 * options and variables the real `fn` knows, so the file cannot drift from the code.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flagsOf, fnOptions, readYaml, REPO, variablesInCode } from './deploy-files.ts';

interface Service {
  image: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = readYaml('docker/compose.yaml') as Compose;
const text = readFileSync(join(REPO, 'docker/compose.yaml'), 'utf8');
const { gateway, node, rabbitmq, postgres } = compose.services;

/** `--flag value` pairs of a command line. */
function option(command: string[] | undefined, flag: string): string | undefined {
  const at = command?.indexOf(`--${flag}`) ?? -1;
  return at < 0 ? undefined : command?.[at + 1];
}

test('runs a gateway, a runtime node, RabbitMQ and PostgreSQL, the last two by tag', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), [
    'gateway',
    'node',
    'postgres',
    'rabbitmq',
  ]);
  assert.equal(rabbitmq?.image, 'rabbitmq:3.13-management');
  assert.equal(postgres?.image, 'postgres:16');
  assert.match(gateway?.image ?? '', /fjord\/gateway:latest/);
  assert.match(node?.image ?? '', /fjord\/node:latest/);
  for (const [name, service] of Object.entries(compose.services)) {
    assert.equal(service.restart, 'unless-stopped', `${name} restarts by itself`);
  }
});

test('the fn commands use only options `fn gateway --help` and `fn node --help` list', async () => {
  for (const [name, service] of [
    ['gateway', gateway],
    ['node', node],
  ] as const) {
    const [command, ...args] = service?.command ?? [];
    assert.equal(command, name);
    const known = await fnOptions(name);
    for (const flag of flagsOf(args)) assert.ok(known.has(flag), `fn ${name} has no --${flag}`);
  }
});

test('gateway and node meet on the same broker, and the node finds the gateway', () => {
  const broker = option(gateway?.command, 'broker');
  assert.match(
    broker ?? '',
    /^amqp:\/\/fjord:\$\{RABBITMQ_PASSWORD:\?[^}]*\}@rabbitmq:5672\/fjord$/,
  );
  assert.equal(option(node?.command, 'broker'), broker);
  assert.equal(option(gateway?.command, 'host'), '0.0.0.0', 'reachable from other containers');
  const port = option(gateway?.command, 'port');
  assert.equal(option(node?.command, 'gateway'), `http://gateway:${port}`);
  assert.deepEqual(gateway?.ports, [`127.0.0.1:${port}:${port}`]);
  assert.match(
    option(gateway?.command, 'store') ?? '',
    /^postgres:\/\/fjord:.*@postgres:5432\/fjord$/,
  );
  assert.equal(rabbitmq?.environment?.RABBITMQ_DEFAULT_VHOST, 'fjord');
  assert.equal(rabbitmq?.environment?.RABBITMQ_DEFAULT_USER, 'fjord');
  assert.equal(postgres?.environment?.POSTGRES_USER, 'fjord');
  assert.equal(postgres?.environment?.POSTGRES_DB, 'fjord');
});

test('secrets come from the environment and every FN_ variable is one the code reads', () => {
  assert.match(gateway?.environment?.FN_SECRETS_KEY ?? '', /^\$\{FN_SECRETS_KEY:\?/);
  for (const password of ['RABBITMQ_PASSWORD', 'POSTGRES_PASSWORD']) {
    assert.match(text, new RegExp(`\\$\\{${password}:\\?`), `${password} is required`);
  }
  const known = variablesInCode();
  for (const service of [gateway, node]) {
    for (const name of Object.keys(service?.environment ?? {})) {
      assert.ok(known.has(name), `no code reads ${name}`);
    }
  }
  // The node reads the token the gateway wrote into its data volume, mounted read-only.
  const tokenFile = node?.environment?.FN_TOKEN_FILE ?? '';
  const gatewayVolume = gateway?.volumes?.find((v) => v.endsWith(':/var/lib/fjord'));
  const [volume] = (gatewayVolume ?? '').split(':');
  const mount = node?.volumes?.find((v) => v.startsWith(`${volume}:`) && v.endsWith(':ro'));
  assert.ok(mount, 'the node mounts the gateway volume read-only');
  assert.equal(tokenFile, `${mount.split(':')[1]}/node-token`);
});

test('healthchecks exist where depends_on waits for them, volumes are declared', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [needed, { condition }] of Object.entries(service.depends_on ?? {})) {
      assert.equal(condition, 'service_healthy', `${name} waits for ${needed} to be healthy`);
      assert.ok(compose.services[needed]?.healthcheck, `${needed} has a healthcheck`);
    }
    for (const volume of service.volumes ?? []) {
      const [source = ''] = volume.split(':');
      assert.ok(source in compose.volumes, `volume ${source} is declared`);
    }
  }
  // The gateway's healthcheck is the image's own script, which probes /healthz.
  const script = gateway?.healthcheck?.test.at(-1) ?? '';
  const local = join(REPO, script.replace(/^\/opt\/fjord\//, ''));
  assert.ok(existsSync(local), `${script} is in the repository`);
  assert.match(readFileSync(local, 'utf8'), /\/healthz/);
});

test('Fjord gets longer to stop than the node drains (30 s)', () => {
  for (const service of [gateway, node]) {
    const seconds = Number(/^(\d+)s$/.exec(service?.stop_grace_period ?? '')?.[1]);
    assert.ok(seconds > 30, `stop_grace_period ${service?.stop_grace_period}`);
  }
});
