import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { TokenCreateRequest } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import { MAX_TOKEN_LABEL, TOKEN_LABEL_PATTERN, TOKEN_SCOPES } from '../../core/token-rules.ts';

/** `{scope, label?}`, by the rules of core/token-rules.ts (the CLI checks them too). */
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
      pattern: TOKEN_LABEL_PATTERN,
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
