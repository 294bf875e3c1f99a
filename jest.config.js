/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/aws needs moto's server (Python): `npm run test:aws` runs it (jest.aws.config.mjs), so `npm test` needs only Node.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/aws/'],
  // Fixed property-test seeds (FC_SEED, FC_NUM_RUNS explore) and a quiet run: test/support/jest-setup.ts.
  setupFiles: ['<rootDir>/test/support/jest-setup.ts'],
  transform: {
    '^.+\\.tsx?$': '<rootDir>/test/support/esbuild-transform.js',
  },
  // A fresh clone knows no durations: the longest files start first (test/support/slow-first-sequencer.js).
  testSequencer: '<rootDir>/test/support/slow-first-sequencer.js',
  // Two cores; a third worker runs while the others wait on child processes and bounded timeouts (112 s against 119 s with two).
  maxWorkers: 3,
  testTimeout: 120000,
};
