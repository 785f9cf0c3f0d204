'use strict';
// `npm test` runs plain `mocha`, so everything the suite needs is configured here.
module.exports = {
  // tsx's ESM loader only: Mocha then falls back from require() to import() for .ts files,
  // so every file (tests, root hooks, src) is loaded as ESM and exists once. Registering
  // all of tsx lets require() load some .ts files as CommonJS and others as ESM, giving
  // two copies of shared modules.
  'node-option': ['import=tsx/esm'],
  // Files named on the command line (`npm test -- test/foo.test.ts`) replace the default list
  // instead of being added to it.
  spec: process.argv.slice(2).some((a) => a.endsWith('.test.ts')) ? [] : ['test/**/*.test.ts'],
  extension: ['ts'],
  // Global setup/teardown: the test database (see test/support/test-database.ts).
  require: ['test/support/root-hooks.ts'],
  reporter: 'test/support/reporter.cjs',
  timeout: 20000,
  // No `exit: true`: tests must close what they open. The reporter fails the run if the
  // process is still alive this long after the tests finished.
  'reporter-option': ['hangTimeout=30000'],
};
