import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EgressPolicy } from '../../runtime/isolate/egress-policy.ts';

const allowed = (policy: EgressPolicy, url: string): boolean => policy.check(new URL(url)).allowed;

describe('egress policy', () => {
  test('a host without a port allows the default ports of http and https only', () => {
    const policy = new EgressPolicy(['api.example.com']);
    assert.equal(allowed(policy, 'https://api.example.com/v1'), true);
    assert.equal(allowed(policy, 'http://API.example.com:80/'), true);
    assert.equal(allowed(policy, 'https://api.example.com:8443/'), false);
    assert.equal(allowed(policy, 'https://example.com/'), false);
    assert.equal(allowed(policy, 'https://api.example.com.evil.test/'), false);
  });

  test('*.domain matches subdomains at any depth but not the domain itself', () => {
    const policy = new EgressPolicy(['*.example.org']);
    assert.equal(allowed(policy, 'https://a.example.org/'), true);
    assert.equal(allowed(policy, 'https://a.b.example.org/'), true);
    assert.equal(allowed(policy, 'https://example.org/'), false);
    assert.equal(allowed(policy, 'https://badexample.org/'), false);
  });

  test('IP literals and explicit ports match exactly', () => {
    const policy = new EgressPolicy(['127.0.0.1:8080', '[::1]:9000']);
    assert.equal(allowed(policy, 'http://127.0.0.1:8080/'), true);
    assert.equal(allowed(policy, 'http://127.0.0.1:8081/'), false);
    assert.equal(allowed(policy, 'http://127.0.0.1/'), false);
    assert.equal(allowed(policy, 'http://[::1]:9000/'), true);
    assert.equal(allowed(policy, 'http://localhost:8080/'), false);
  });

  test('only http and https can be fetched; the reason names the target', () => {
    const policy = new EgressPolicy(['example.com']);
    const ftp = policy.check(new URL('ftp://example.com/file'));
    assert.deepEqual(ftp, {
      allowed: false,
      reason: 'only http: and https: URLs can be fetched, not ftp:',
    });
    const denied = policy.check(new URL('http://other.test:81/'));
    assert.deepEqual(denied, {
      allowed: false,
      reason:
        'fetch to other.test:81 denied: it is not in fn.json egress.allow (egress.allow is ["example.com"])',
    });
  });

  test('an entry that is not host[:port] is refused with its text', () => {
    assert.throws(
      () => new EgressPolicy(['https://example.com']),
      /"https:\/\/example.com" is not a host/,
    );
    assert.throws(() => new EgressPolicy(['example.com:70000']), /"example.com:70000"/);
  });
});
