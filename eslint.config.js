// The rules that catch real defects here: promises nobody awaits (a save or a
// create that runs unobserved), values nobody uses, and `any`. Type-aware, so
// a floating promise from any module or the SDK is found.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'bundle/**', 'node_modules/**', 'schema/**', 'fixtures/**', 'coverage/**', '.dependency-cruiser.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'steps/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'always' }],
    },
  },
  {
    // One way to ask "is this that AWS error": isError(e, ...names) from src/aws/not-found.ts, which also copes
    // with what is not an Error at all.
    files: ['src/**/*.ts', 'steps/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "BinaryExpression[operator=/^[!=]==$/] > MemberExpression[property.name='name'] > TSAsExpression[typeAnnotation.typeName.name='Error']",
          message: 'Ask isError(e, ...names) (src/aws/not-found.ts) whether an error is one AWS named.',
        },
        {
          selector: "BinaryExpression[operator=/^[!=]==$/] > CallExpression[callee.name='errorName']",
          message: 'Ask isError(e, ...names) (src/aws/not-found.ts) whether an error is one AWS named.',
        },
      ],
    },
  },
  {
    // Tests drive SDK clients and fakes through loose shapes on purpose.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-control-regex': 'off' },
  },
  {
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', Buffer: 'readonly' } },
  },
);
