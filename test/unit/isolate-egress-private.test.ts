/**
 * Egress to non-public addresses (SSRF, DNS rebinding): an allowed name that resolves to
 * loopback, private, link-local (the metadata service) or another non-public address is denied
 * unless the allow-list names the IP itself or fn.json sets `egress.allowPrivate`; the request
 * connects to the very addresses that were checked. Only loopback is ever connected to: other
 * addresses come from an injected resolver and are denied before any connection.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { LookupAddress } from 'node:dns';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createManifestValidator } from '../../core/manifest.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import { privateAddressClass } from '../../runtime/isolate/address-class.ts';
import { systemLookup } from '../../runtime/isolate/egress-addresses.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';

interface Fetched {
  status?: number;
  body?: string;
  error?: { name: string; message: string; code?: string };
}

describe('address classes', () => {
  test('non-public IPv4 and IPv6 ranges, and IPv6 forms embedding them, are named', () => {
    const cases: Record<string, string | undefined> = {
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '::1': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.0.10': 'private',
      'fd12:3456::1': 'private',
      '169.254.169.254': 'link-local',
      'fe80::1': 'link-local',
      '100.64.0.1': 'carrier-grade NAT',
      '0.0.0.0': 'unspecified',
      '::': 'unspecified',
      '224.0.0.251': 'multicast',
      'ff02::1': 'multicast',
      '255.255.255.255': 'reserved',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:169.254.169.254': 'link-local',
      '64:ff9b::10.0.0.1': 'private',
      '2002:c0a8:1::1': 'private',
      'not-an-ip': 'reserved',
      '8.8.8.8': undefined,
      '172.32.0.1': undefined,
      '100.128.0.1': undefined,
      '::ffff:8.8.8.8': undefined,
      '2606:4700:4700::1111': undefined,
    };
    for (const [address, expected] of Object.entries(cases)) {
      assert.equal(privateAddressClass(address), expected, address);
    }
  });

  test('fn.json accepts egress.allowPrivate and keeps it', () => {
    const manifest = createManifestValidator()({
      name: 'internal-client',
      egress: { allow: ['db.internal:8080'], allowPrivate: true },
    });
    assert.deepEqual(manifest.egress, { allow: ['db.internal:8080'], allowPrivate: true });
    assert.throws(
      () => createManifestValidator()({ name: 'x', egress: { allow: [], allowPrivate: 'yes' } }),
      /allowPrivate/,
    );
  });
});

describe('isolate executor: fetch to non-public addresses', () => {
  const fixtures = new FixtureBundles();
  /** Names of the fake resolver, which leaves everything else to the node's resolver. */
  const names: Record<string, string[]> = {
    'metadata.test': ['169.254.169.254'],
    'mixed.test': ['93.184.216.34', '10.0.0.7'],
    'mapped.test': ['::ffff:7f00:1'],
    'pinned.test': ['127.0.0.1'],
  };
  const lookups: string[] = [];
  let executor: IsolateExecutor;
  let server: Server;
  let port: number;
  const seen: string[] = [];
  let version = 0;

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(url.pathname);
      if (url.pathname === '/redirect') {
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      } else res.end(`hello from ${url.pathname}`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    executor = new IsolateExecutor({
      loadCode: fixtures.load,
      lookup: async (hostname): Promise<LookupAddress[]> => {
        lookups.push(hostname);
        const fake = names[hostname];
        if (fake === undefined) return systemLookup(hostname);
        return fake.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      },
    });
  });
  after(async () => {
    await executor.dispose();
    server.close();
  });

  const fetchWith = async (
    url: string,
    egress: NonNullable<FunctionSpec['egress']>,
  ): Promise<Fetched> => {
    // A version per policy: an isolate keeps the policy of the version it was created for.
    version += 1;
    const fn = await fixtures.spec('fetch-client', { egress, version });
    return valueOf(
      await executor.invoke(fn, eventPayload({ url }), invocationContext()),
    ) as Fetched;
  };
  const denied = (result: Fetched, message: RegExp): void => {
    assert.equal(result.error?.code, 'EGRESS_DENIED', JSON.stringify(result));
    assert.equal(result.error?.name, 'TypeError');
    assert.match(result.error?.message ?? '', message);
  };

  test('an allowed name that resolves to loopback is denied; its IP listed is allowed', async () => {
    const before = seen.length;
    denied(
      await fetchWith(`http://localhost:${port}/a`, { allow: [`localhost:${port}`] }),
      new RegExp(
        `^fetch to localhost:${port} denied: localhost resolves to (127\\.0\\.0\\.1|::1), a loopback address; list the IP itself in fn.json egress.allow or set egress.allowPrivate to reach it$`,
      ),
    );
    assert.equal(seen.length, before, 'no request reached the server');
    const listed = await fetchWith(`http://127.0.0.1:${port}/b`, { allow: [`127.0.0.1:${port}`] });
    assert.equal(listed.body, 'hello from /b');
  });

  test('egress.allowPrivate lets an allowed name reach a non-public address', async () => {
    const result = await fetchWith(`http://localhost:${port}/c`, {
      allow: [`localhost:${port}`],
      allowPrivate: true,
    });
    assert.equal(result.status, 200);
    assert.equal(result.body, 'hello from /c');
  });

  test('a redirect from an allowed loopback IP to a name resolving to loopback is denied', async () => {
    const before = seen.length;
    const to = encodeURIComponent(`http://localhost:${port}/d`);
    denied(
      await fetchWith(`http://127.0.0.1:${port}/redirect?to=${to}`, {
        allow: [`127.0.0.1:${port}`, `localhost:${port}`],
      }),
      /fetch to localhost:\d+ denied: localhost resolves to (127\.0\.0\.1|::1), a loopback address/,
    );
    assert.deepEqual(seen.slice(before), ['/redirect'], 'the denied hop was never requested');
  });

  test('an IP matched only by a wildcard entry is not taken as listed', async () => {
    denied(
      await fetchWith(`http://127.0.0.1:${port}/e`, { allow: [`*.0.0.1:${port}`] }),
      /denied: 127\.0\.0\.1 is a loopback address/,
    );
  });

  test('the metadata address, any private address among several, IPv4-mapped loopback', async () => {
    denied(
      await fetchWith('http://metadata.test/latest/meta-data/', { allow: ['metadata.test'] }),
      /metadata\.test resolves to 169\.254\.169\.254, a link-local address/,
    );
    denied(
      await fetchWith('https://mixed.test/', { allow: ['mixed.test'] }),
      /mixed\.test resolves to 10\.0\.0\.7, a private address/,
    );
    denied(
      await fetchWith(`http://mapped.test:${port}/`, { allow: [`mapped.test:${port}`] }),
      /mapped\.test resolves to ::ffff:7f00:1, a loopback address/,
    );
  });

  test('https verifies the certificate of the host name (a self-signed one fails)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fjord-tls-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tls = createTlsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => res.end('secret'),
    );
    tls.listen(0, '127.0.0.1');
    await once(tls, 'listening');
    t.after(() => tls.close());
    const tlsPort = (tls.address() as AddressInfo).port;
    const result = await fetchWith(`https://localhost:${tlsPort}/`, {
      allow: [`localhost:${tlsPort}`],
      allowPrivate: true,
    });
    assert.equal(result.error?.name, 'TypeError', JSON.stringify(result));
    assert.match(
      result.error?.message ?? '',
      /fetch to localhost:\d+ failed: .*self-signed certificate/,
    );
  });

  test('the request connects to the address that was checked, resolving once per hop', async () => {
    // The node's own resolver does not know pinned.test: only the checked answer can be used.
    const before = lookups.length;
    const result = await fetchWith(`http://pinned.test:${port}/f`, {
      allow: [`pinned.test:${port}`],
      allowPrivate: true,
    });
    assert.equal(result.body, 'hello from /f');
    assert.deepEqual(lookups.slice(before), ['pinned.test']);
  });
});
