// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import boundaries: gateway, runtime and cli depend on core only; server composes them. */
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
  { ignores: ['node_modules/**', '.fn/**', 'functions/**', 'docker/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  boundary('core', ['gateway', 'runtime', 'cli', 'server']),
  boundary('gateway', ['runtime', 'cli', 'server']),
  boundary('runtime', ['gateway', 'cli', 'server']),
  boundary('cli', ['gateway', 'runtime', 'server']),
);
