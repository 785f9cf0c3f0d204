'use strict';
// Mocha's Spec output, followed by a last line `N passed, N failed[, N skipped]`: the only
// summary format CI recognises (it does not understand "N passing").
//
// CommonJS on purpose: Mocha loads reporters with require(), before any TypeScript loader
// is in place.
const { reporters } = require('mocha');

/** @param {{ passed: number, failed: number, skipped: number }} s */
function formatSummary(s) {
  return `${s.passed} passed, ${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}`;
}

/** @type {{ passed: number, failed: number, skipped: number } | undefined} */
let summary;
// Set when anything is written after the summary line, so it can be repeated at exit.
let writtenAfterSummary = false;

function printSummary() {
  if (!summary) return;
  process.stdout.write(`${formatSummary(summary)}\n`);
  writtenAfterSummary = false;
}

function watchOutputAfterSummary() {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write;
    stream.write = function (...args) {
      writtenAfterSummary = true;
      return write.apply(this, args);
    };
  }
}

// Registered when Mocha loads the reporter, i.e. before it loads any test file, so it also
// covers runs that die before or after the reporter's own summary.
process.once('exit', (code) => {
  if (!summary) {
    // Mocha never ran the tests (a test file failed to load, bad options…).
    if (code !== 0) process.stdout.write(`${formatSummary({ passed: 0, failed: 1, skipped: 0 })}\n`);
    return;
  }
  // Crashed after the summary (e.g. an uncaught error from a leaked timer): not a pass.
  if (code !== 0 && summary.failed === 0) {
    summary.failed = 1;
    writtenAfterSummary = true;
  }
  if (writtenAfterSummary) printSummary();
});

class SummaryReporter extends reporters.Spec {
  static description = 'spec, then a last line "N passed, N failed"';

  /**
   * @param {import('mocha').Runner} runner
   * @param {import('mocha').MochaOptions & { reporterOption?: Record<string, string> }} [options]
   */
  constructor(runner, options) {
    super(runner, options);
    const configured = Number(options?.reporterOption?.hangTimeout);
    /** Milliseconds the process may stay alive after the run; 0 disables the check. */
    this.hangTimeout = Number.isFinite(configured) && configured >= 0 ? configured : 30_000;
  }

  /**
   * Mocha calls this after the run and after global teardown, with the count it will use
   * for the exit code: failed tests, failed hooks, and a failed global setup/teardown.
   * @param {number} failures
   * @param {(failures: number) => void} fn
   */
  done(failures, fn) {
    summary = {
      passed: this.stats.passes ?? 0,
      failed: Math.max(failures, this.stats.failures ?? 0),
      skipped: this.stats.pending ?? 0,
    };
    printSummary();
    watchOutputAfterSummary();
    if (this.hangTimeout > 0) this.watchForHang(this.hangTimeout);
    fn(failures);
  }

  /**
   * Without --exit, handles left open by tests keep Node alive forever. Name them and fail
   * rather than hang CI.
   * @param {number} ms
   */
  watchForHang(ms) {
    const timer = setTimeout(() => {
      const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
      process.stderr.write(
        `\nThe process is still running ${ms / 1000}s after the tests finished: something was not ` +
          `closed (open resources: ${resources.join(', ') || 'unknown'}). Close servers, clients and ` +
          'timers in after/afterEach hooks. Counting this as a failure.\n',
      );
      if (summary) summary.failed += 1;
      // Mocha's own exit listener may reset exitCode to the number of failed tests.
      process.on('exit', () => {
        process.exitCode = 1;
      });
      process.exit(1);
    }, ms);
    timer.unref();
  }
}

module.exports = SummaryReporter;
module.exports.formatSummary = formatSummary;
