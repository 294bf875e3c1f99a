/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': 'ts-jest',
  },
  // Synthesizing full stacks is CPU-bound; two workers match this machine's two cores.
  maxWorkers: 2,
  testTimeout: 120000,
};
