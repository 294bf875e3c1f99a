// The tests that need moto's server (Python): `npm run test:aws`. `npm test` (jest.config.js) needs only Node.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  displayName: 'aws',
  roots: ['<rootDir>/test/aws'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Fails the run at once, in one line with the install command, when moto's server cannot run.
  globalSetup: '<rootDir>/test/aws/require-moto.ts',
};
