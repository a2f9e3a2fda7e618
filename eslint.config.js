import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const SERVICES = ['api', 'console', 'ingest', 'jobs', 'pipeline', 'engine'];
const service = (name) => ({ group: [`@rapport/${name}`, `@rapport/${name}/*`] });
const relativeInto = (folder) => ({
  group: [`**/${folder}/**`],
  message: `import what ${folder} exports through its package name`,
});

/**
 * The layout, enforced: packages never import services; services never import each other
 * (the engine composes them); analytics does no I/O. A concept two services need belongs in a
 * package.
 */
function importBoundaries() {
  const rule = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
  return [
    {
      files: ['packages/**/*.ts', 'schemas/**/*.ts'],
      rules: rule([
        ...SERVICES.map((name) => ({
          ...service(name),
          message: 'packages never import services: move what both need into a package',
        })),
        relativeInto('services'),
      ]),
    },
    ...SERVICES.filter((name) => name !== 'engine').map((name) => ({
      files: [`services/${name}/**/*.ts`],
      rules: rule([
        ...SERVICES.filter((other) => other !== name).map((other) => ({
          group: [...service(other).group, `**/${other}/src/**`],
          message: 'services never import each other: move what both need into a package',
        })),
        relativeInto('services'),
        relativeInto('packages'),
      ]),
    })),
    {
      files: ['packages/analytics/**/*.ts'],
      // Tests may read fixtures.
      ignores: ['**/*.test.ts'],
      rules: rule([
        ...SERVICES.map(service),
        relativeInto('services'),
        {
          group: [
            '@rapport/store',
            '@rapport/bus',
            '@rapport/webhooks',
            '@rapport/http',
            '@rapport/profiles',
            '@rapport/runs',
            '@clickhouse/*',
            'chdb',
            'chdb/*',
            'kafkajs',
            'fastify',
            'node:fs',
            'node:fs/*',
            'node:net',
            'node:http',
            'node:https',
            'node:child_process',
          ],
          message: 'analytics is pure computation: it takes data in and gives results back, no I/O',
        },
      ]),
    },
  ];
}

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', 'benchmarks/.data/**', 'eslint.config.js'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            'vitest.config.ts',
            'services/engine/bin/*.js',
            'services/engine/bin/*.mjs',
          ],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Fastify plugins and hooks are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.test.ts', 'tests/**', 'benchmarks/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  ...importBoundaries(),
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // The command's entries are CommonJS (they size libuv's pool before any module loads).
    files: ['services/engine/bin/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
  prettier,
);
