// Mocha global fixtures (loaded through `require` in .mocharc.cjs): run once per `npm test`,
// before the first test file runs and after the last one finished.
import { getTestDatabase, type TestDatabase } from './test-database.js';

let database: TestDatabase | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  database = await getTestDatabase();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await database?.close();
  database = undefined;
}
