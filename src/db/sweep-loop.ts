// The loop every background worker runs (refresh worker, trash purger, webhook delivery): sweep,
// pause pollMs, sweep again, until stopped. A sweep that fails because the database is down is
// logged through the process's one DatabaseFailureLog (one line each way per outage, not one per
// poll); any other failure is logged and the next poll tries again.
import type { Logger } from 'pino';
import { classifyDatabaseError, type DatabaseFailureLog } from './database-failures.js';

export interface SweepLoopOptions {
  pollMs: number;
  log: Logger;
  databaseFailures: DatabaseFailureLog;
  /** The error line of a sweep that failed for another reason than the database. */
  failureMessage: string;
  /** One pass. True: more is due now, so the next pass starts at once, without the pause. */
  sweep: () => Promise<boolean>;
}

export class SweepLoop {
  readonly #opts: SweepLoopOptions;
  #loop: Promise<void> | undefined;
  #stopping = false;
  // A wake() that came while no pause was running still cuts the next pause short.
  #woken = false;
  #endPause: (() => void) | undefined;

  constructor(opts: SweepLoopOptions) {
    this.#opts = opts;
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  /** Set from stop() on: a sweep checks it to claim nothing more. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** False when it was running already. */
  start(): boolean {
    if (this.#loop) return false;
    this.#stopping = false;
    this.#loop = this.#run();
    return true;
  }

  /** Ends the pause (or the next one) early: new work may be there. */
  wake(): void {
    this.#woken = true;
    this.#endPause?.();
  }

  /** Lets the sweep in progress finish, then resolves; false when it was not running. */
  async stop(): Promise<boolean> {
    if (!this.#loop) return false;
    this.#stopping = true;
    this.wake();
    await this.#loop;
    this.#loop = undefined;
    return true;
  }

  async #run(): Promise<void> {
    const { log, databaseFailures } = this.#opts;
    while (!this.#stopping) {
      let again = false;
      try {
        again = await this.#opts.sweep();
        databaseFailures.recovered();
      } catch (err) {
        const failure = classifyDatabaseError(err);
        if (failure) databaseFailures.record(failure, err);
        else log.error({ err }, this.#opts.failureMessage);
      }
      if (this.#stopping) break;
      if (!again) await this.#pause();
    }
  }

  async #pause(): Promise<void> {
    if (!this.#woken) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#opts.pollMs);
        this.#endPause = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#endPause = undefined;
    }
    this.#woken = false;
  }
}
