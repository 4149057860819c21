// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Import boundaries: adapters, gateway, runtime and cli depend on core only; server/ is the
 * composition root that wires adapters into the gateway and the runtime.
 */
const boundary = (/** @type {string} */ dir, /** @type {string[]} */ forbidden) => ({
  files: [`${dir}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((f) => ({
          group: [`**/${f}/**`, `../${f}/*`, `../../${f}/*`],
          message: `${dir}/ must not import ${f}/: depend on core/ ports instead.`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'bench/.deps/**',
      '.fn/**',
      'functions/**',
      'docker/**',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      // Port implementations are async by contract even when an adapter needs no await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  boundary('core', ['adapters', 'gateway', 'runtime', 'cli', 'server']),
  boundary('adapters', ['gateway', 'runtime', 'cli', 'server']),
  // The SQL stores share rows and mappers through adapters/sql-store/ only, never each other.
  ...['store-sqlite', 'store-postgres', 'sql-store'].map((dir) =>
    boundary(`adapters/${dir}`, [
      'gateway',
      'runtime',
      'cli',
      'server',
      'broker-embedded',
      'broker-rabbitmq',
      ...['store-sqlite', 'store-postgres'].filter((other) => other !== dir),
    ]),
  ),
  boundary('gateway', ['adapters', 'runtime', 'cli', 'server']),
  boundary('runtime', ['adapters', 'gateway', 'cli', 'server']),
  boundary('cli', ['adapters', 'gateway', 'runtime', 'server']),
);
