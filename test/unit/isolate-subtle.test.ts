import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';

describe('isolate executor: crypto.subtle through the host', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  after(() => executor.dispose());

  test('digests, HMAC, AES-GCM, PBKDF2 and ECDSA match Node and reject misuse', async () => {
    const input = {
      text: `The quick brown fox ${randomBytes(4).toString('hex')}`,
      secret: 'webhook-secret',
      aesKeyHex: randomBytes(32).toString('hex'),
      ivHex: randomBytes(12).toString('hex'),
    };
    const fn = await fixtures.spec('subtle');
    const seen = valueOf(await executor.invoke(fn, eventPayload(input), invocationContext()));

    const cipher = createCipheriv(
      'aes-256-gcm',
      Buffer.from(input.aesKeyHex, 'hex'),
      Buffer.from(input.ivHex, 'hex'),
    );
    const sealed = Buffer.concat([cipher.update(input.text), cipher.final(), cipher.getAuthTag()]);
    const digest = (name: string) => createHash(name).update(input.text).digest('hex');
    assert.deepEqual(seen, {
      digests: {
        'SHA-1': digest('sha1'),
        'SHA-256': digest('sha256'),
        'SHA-384': digest('sha384'),
        'SHA-512': digest('sha512'),
      },
      objectForm: digest('sha256'),
      hmac: {
        signature: createHmac('sha256', input.secret).update(input.text).digest('hex'),
        verified: true,
        tamperedVerified: false,
        key: {
          type: 'secret',
          extractable: false,
          algorithm: { name: 'HMAC', hash: { name: 'SHA-256' }, length: 112 },
          usages: ['sign', 'verify'],
          isCryptoKey: true,
        },
        jwkKty: 'oct',
        exportNonExtractable: 'InvalidAccessError',
        signWithVerifyOnlyKey: 'InvalidAccessError',
      },
      aes: {
        ciphertext: sealed.toString('hex'),
        plaintext: input.text,
        tamperedDecrypt: 'OperationError',
        generatedRoundTrip: input.text,
        generatedRawLength: 16,
      },
      pbkdf2: pbkdf2Sync(input.secret, 'salt', 1000, 32, 'sha256').toString('hex'),
      ecdsa: { verified: true, publicExtractable: true, privateType: 'private' },
      errors: { md5: 'NotSupportedError', notAKey: 'TypeError', noAlgorithm: 'TypeError' },
      timingSafeEqual: [true, false],
    });
  });
});
