// ESLint flat config. `npm run lint` runs this, `prettier --check` and the type-checks of tests and scripts.
// Formatting is prettier's job: eslint-config-prettier (last) turns off every rule that would disagree with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** The Node.js globals the plain-JavaScript files use (the `globals` package is not a dependency). */
const NODE_GLOBALS = Object.fromEntries(
  ['require', 'module', 'exports', '__dirname', '__filename', 'process', 'console', 'Buffer', 'URL', 'AbortController', 'fetch'].map(
    (g) => [g, 'readonly'],
  ),
);
const NODE_TIMERS = Object.fromEntries(
  ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate'].map((g) => [g, 'readonly']),
);

export default defineConfig(
  // Generated or produced files: the CRD bindings (~93k lines), synth output, the tsc build, downloaded tools.
  globalIgnores(['imports/', 'dist/', 'build/', '.tools/', 'coverage/', 'cdk8s.out/', 'dist.staging-*/', 'dist.old-*/']),

  js.configs.recommended,

  // TypeScript: recommended + type-checked rules, one program for sources and tests (tsconfig.test.json).
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_`-prefixed parameters and destructured leftovers are deliberate (interface shapes, rest-omit).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },

  // Tests read synthesized YAML/JSON and API payloads whose shape is what they assert: a wrong path fails the
  // test at runtime, so the no-unsafe-* family (which flags every step into a parsed document) is off there.
  // An explicit `any` still needs a reason (no-explicit-any stays on).
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Fakes implement async interfaces (Cluster, kube config loaders) with synchronous bodies:
      // `async` keeps a throw a rejection, as the real implementation's would be.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // Plain JavaScript (scripts, jest configs, fixtures): CommonJS on Node, no type information.
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...NODE_GLOBALS, ...NODE_TIMERS } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...NODE_GLOBALS, ...NODE_TIMERS } },
  },

  prettier,
);
