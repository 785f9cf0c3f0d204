import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mochaBin = path.join(repoRoot, 'node_modules/mocha/bin/mocha.js');
const reporter = path.join(repoRoot, 'test/support/reporter.cjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  lastLine: string;
}

// Runs a separate mocha on fixture files with only the summary reporter configured.
function runMocha(dir: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [mochaBin, '--no-config', '--no-package', '--reporter', reporter, ...args],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 15_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const lines = stdout.trimEnd().split('\n');
        resolve({ code, stdout, stderr, lastLine: lines[lines.length - 1] ?? '' });
      },
    );
  });
}

describe('summary reporter', function () {
  this.timeout(30_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'reporter-test-'));
    await writeFile(
      path.join(dir, 'mixed.spec.cjs'),
      `describe('mixed', () => {
        it('passes', () => {});
        it.skip('is skipped', () => {});
        it('fails', () => { throw new Error('boom'); });
      });
      describe('broken hook', () => {
        before(() => { throw new Error('hook boom'); });
        it('never runs', () => {});
      });`,
    );
    await writeFile(path.join(dir, 'green.spec.cjs'), `it('a', () => {}); it('b', () => {});`);
    await writeFile(path.join(dir, 'unloadable.spec.cjs'), `throw new Error('cannot load');`);
    await writeFile(
      path.join(dir, 'leak.spec.cjs'),
      `it('leaks a timer', () => { setInterval(() => {}, 1000); });`,
    );
    await writeFile(
      path.join(dir, 'failing-setup.cjs'),
      `exports.mochaGlobalSetup = () => { throw new Error('setup boom'); };`,
    );
    await writeFile(
      path.join(dir, 'failing-teardown.cjs'),
      `exports.mochaGlobalTeardown = () => { throw new Error('teardown boom'); };`,
    );
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints "N passed, N failed" last and exits 0 when all pass', async () => {
    const run = await runMocha(dir, ['green.spec.cjs']);
    assert.equal(run.lastLine, '2 passed, 0 failed', run.stdout);
    assert.equal(run.code, 0);
  });

  it('counts failed tests and failed hooks, and appends skipped tests', async () => {
    const run = await runMocha(dir, ['mixed.spec.cjs']);
    assert.equal(run.lastLine, '1 passed, 2 failed, 1 skipped', run.stdout);
    assert.match(run.stdout, /hook boom/);
    assert.notEqual(run.code, 0);
  });

  it('reports a failure when a test file cannot be loaded', async () => {
    const run = await runMocha(dir, ['green.spec.cjs', 'unloadable.spec.cjs']);
    assert.equal(run.lastLine, '0 passed, 1 failed', run.stdout + run.stderr);
    assert.notEqual(run.code, 0);
  });

  it('reports a failure when global setup throws', async () => {
    const run = await runMocha(dir, ['--require', 'failing-setup.cjs', 'green.spec.cjs']);
    assert.equal(run.lastLine, '0 passed, 1 failed', run.stdout + run.stderr);
    assert.notEqual(run.code, 0);
  });

  it('counts a failing global teardown', async () => {
    const run = await runMocha(dir, ['--require', 'failing-teardown.cjs', 'green.spec.cjs']);
    assert.equal(run.lastLine, '2 passed, 1 failed', run.stdout + run.stderr);
    assert.notEqual(run.code, 0);
  });

  it('fails, naming open handles, when the process does not exit after the run', async () => {
    const run = await runMocha(dir, ['--reporter-option', 'hangTimeout=300', 'leak.spec.cjs']);
    assert.equal(run.lastLine, '1 passed, 1 failed', run.stdout + run.stderr);
    assert.match(run.stderr, /still running.*Timeout/s);
    assert.equal(run.code, 1);
  });
});
