/** Jest runs in ESM mode (got 14 is ESM-only): ts-jest default-esm preset, `.js` suffixes stripped. */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
    ],
  },
  globalSetup: '<rootDir>/test/support/globalSetup.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
