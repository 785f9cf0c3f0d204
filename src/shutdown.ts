// The one shutdown path of both entry points (server.ts, worker.ts). On SIGTERM/SIGINT: stop
// taking work (the HTTP server, when there is one, stops accepting and lets running requests
// finish until `timeoutMs`), then close what the process opened, in order, and exit 0. A second
// signal while stopping is ignored; a failure while closing is logged and exits 1.
import type { Server } from 'node:http';
import type { Logger } from 'pino';

export interface ShutdownOptions {
  logger: Logger;
  /** The HTTP server to drain first; the worker process has none. */
  server?: Server;
  /** How long running requests may take before their connections are closed. */
  timeoutMs: number;
  /** Stops the refresh worker, waits for refreshes in flight, closes Redis and the database. */
  closeResources: () => Promise<void>;
}

export function installShutdown({ logger, server, timeoutMs, closeResources }: ShutdownOptions): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    if (server) await drain(server, timeoutMs);
    await closeResources();
    logger.info('stopped');
    logger.flush();
    process.exitCode = 0;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stop(signal).catch((err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      });
    });
  }
}

async function drain(server: Server, timeoutMs: number): Promise<void> {
  // Requests already running may finish; idle keep-alive sockets are closed now, the rest at the deadline.
  const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
  deadline.unref();
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  clearTimeout(deadline);
}
