import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { TokenCreateRequest } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';

/** The scopes a token may have, in the order error messages list them. */
export const TOKEN_SCOPES = ['admin', 'deploy', 'invoke', 'node'] as const;

/** Longest label, in characters: enough to say what a token is for, short enough for a table. */
export const MAX_TOKEN_LABEL = 64;

/**
 * `{scope, label?}`. A label is printable (no control or format characters, which would garble
 * `fn token ls`) and neither starts nor ends with white space. Ajv compiles patterns with the
 * `u` flag, so `\p{C}` is the Unicode "other" category.
 */
const TOKEN_CREATE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['scope'],
  additionalProperties: false,
  properties: {
    scope: { enum: [...TOKEN_SCOPES] },
    label: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_TOKEN_LABEL,
      pattern: '^[^\\p{C}\\s](?:[^\\p{C}]*[^\\p{C}\\s])?$',
    },
  },
} as const;

/** Checks a POST /v1/tokens body: INVALID_TOKEN_SCOPE, INVALID_TOKEN_LABEL or BAD_REQUEST. */
export type TokenRequestValidator = (body: unknown) => TokenCreateRequest;

export function createTokenRequestValidator(): TokenRequestValidator {
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(TOKEN_CREATE_SCHEMA);
  return (body) => {
    if (validate(body)) return body;
    throw refusal(validate.errors ?? []);
  };
}

/** The most specific error: the scope first, then the label, then the shape of the body. */
function refusal(errors: readonly ErrorObject[]): FjordError {
  const about = (field: string) =>
    errors.some(
      (e) =>
        e.instancePath === `/${field}` ||
        (e.keyword === 'required' && e.params.missingProperty === field),
    );
  if (about('scope')) {
    return new FjordError(
      'INVALID_TOKEN_SCOPE',
      `"scope" must be one of ${TOKEN_SCOPES.map((s) => `"${s}"`).join(', ')}`,
    );
  }
  if (about('label')) {
    return new FjordError(
      'INVALID_TOKEN_LABEL',
      `"label" must be 1 to ${MAX_TOKEN_LABEL} printable characters, without leading or trailing spaces (or leave it out)`,
    );
  }
  return new FjordError(
    'BAD_REQUEST',
    'request body must be {"scope": "admin" | "deploy" | "invoke" | "node", "label": "..."}',
  );
}
