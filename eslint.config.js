// The TypeScript linter (`npm run lint:ts`; part of `npm run lint` and of scripts/test.sh). Type-aware: the rules that
// need types (floating and misused promises, unsafe `any`, awaits of non-promises) read one TypeScript program, the
// one tsconfig.test.json describes (src, jobs, scripts, test). Rules are chosen for the defects they catch, not for
// layout: there is no formatter here. README "Development" says which rules were left out and why.
// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node's globals that the plain JavaScript files (.mjs, .cjs) use; TypeScript files get theirs from @types/node. */
const NODE_GLOBALS = /** @type {const} */ ({
  process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly',
  clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
});

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.podman/', '.venv/', '.vitest-cache/', 'out/', 'test/output/', 'fuzz-findings/', 'bench/results/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Beyond the recommended sets: each of these catches a defect, and none fires on today's code.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-deprecated': 'error',
      eqeqeq: ['error', 'smart'],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // `let x; ... () => x ...; x = ...`: a handler that must exist before the value does (commands/worker-run.ts).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Off: `async` without `await` is how a method meets a Promise-returning interface (and turns a throw into a
      // rejection), and how an async generator serves records it already holds: 15 hits, none a defect.
      '@typescript-eslint/require-await': 'off',
      // Off: the five control-character regexes exist to find control characters (TSV escapes, titles, listings).
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read the CLI's JSON output with JSON.parse (typed `any`) and assert on it with expect(): 74 hits of the
    // no-unsafe-* rules, all of that shape. expect(obj.method) is how a test asserts a method is absent.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
  },
);
