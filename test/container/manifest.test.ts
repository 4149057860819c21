import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFjordError } from '../../core/errors.ts';
import { toFunctionSpec } from '../../core/function-spec.ts';
import { createManifestValidator } from '../../core/manifest.ts';

describe('fn.json: container settings', () => {
  const validate = createManifestValidator();

  test('network, cpus, pidsLimit and image reach the FunctionSpec of a container function', () => {
    const manifest = validate({
      name: 'thumbs',
      runtime: 'container',
      network: true,
      cpus: 0.5,
      pidsLimit: 64,
      image: 'fjord/thumbs:1',
      imageSha: 'a'.repeat(64),
    });
    const spec = toFunctionSpec(manifest, 3, 'f'.repeat(64));
    assert.equal(spec.runtime, 'container');
    assert.equal(spec.network, true);
    assert.equal(spec.cpus, 0.5);
    assert.equal(spec.pidsLimit, 64);
    assert.equal(spec.image, 'fjord/thumbs:1');
    assert.equal(spec.imageSha, 'a'.repeat(64), 'nodes load the image from the gateway by it');
  });

  test('unset, they stay absent: the container executor applies its defaults', () => {
    const spec = toFunctionSpec(
      validate({ name: 'plain', runtime: 'container' }),
      1,
      'f'.repeat(64),
    );
    assert.deepEqual(
      ['network', 'cpus', 'pidsLimit', 'image', 'imageSha'].filter((key) => key in spec),
      [],
    );
  });

  test('isolate functions carry no container settings', () => {
    const spec = toFunctionSpec(
      validate({ name: 'iso', network: true, cpus: 2 }),
      1,
      'f'.repeat(64),
    );
    assert.equal(spec.runtime, 'isolate');
    assert.equal('network' in spec || 'cpus' in spec, false);
  });

  for (const [field, value] of [
    ['network', 'yes'],
    ['cpus', 0],
    ['cpus', 65],
    ['pidsLimit', 8],
    ['pidsLimit', 1.5],
    ['image', 'Not/An:Image Name'],
    ['imageSha', 'abc'],
    ['imageSha', 'A'.repeat(64)],
  ] as const) {
    test(`${field}: ${JSON.stringify(value)} is INVALID_MANIFEST naming the field`, () => {
      assert.throws(
        () => validate({ name: 'bad', runtime: 'container', [field]: value }),
        (error: unknown) =>
          isFjordError(error) &&
          error.code === 'INVALID_MANIFEST' &&
          error.message.includes(`"${field}"`),
      );
    });
  }
});
