import type { DatabaseFailureLog } from '../../db/database-failures.js';
import { ApiError, DATABASE_RETRY_AFTER_SECONDS } from '../../errors/api-error.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';

export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
}

export function healthRoutes(
  prisma: PrismaClient,
  extraProbes: ReadinessProbe[] = [],
  databaseFailures?: DatabaseFailureLog,
  // Below the request deadline, so a hanging dependency is reported as down, not as a 504.
  probeTimeoutMs = 2000,
): AnyRoute[] {
  const probes: ReadinessProbe[] = [
    {
      name: 'database',
      check: async () => {
        await prisma.$queryRaw`SELECT 1`;
        // Ends a logged outage even when no new connection was needed to answer.
        databaseFailures?.recovered();
      },
    },
    ...extraProbes,
  ];
  return [
    route({
      method: 'GET',
      path: '/healthz',
      access: access.public,
      response: { status: 200, meta: 'health-status' },
      handler: async () => ({
        status: 200,
        document: { jsonapi: { version: '1.1' }, meta: { status: 'ok' } },
      }),
    }),
    route({
      method: 'GET',
      path: '/readyz',
      access: access.public,
      response: { status: 200, meta: 'health-status' },
      handler: async () => {
        const failed: string[] = [];
        await Promise.all(
          probes.map((p) =>
            withTimeout(p.check(), probeTimeoutMs).catch(() => {
              failed.push(p.name);
            }),
          ),
        );
        if (failed.length > 0) {
          throw new ApiError(
            {
              status: 503,
              code: 'not_ready',
              title: 'Service unavailable',
              detail: `Not reachable: ${failed.sort().join(', ')}.`,
            },
            { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
          );
        }
        return {
          status: 200,
          document: {
            jsonapi: { version: '1.1' },
            meta: { status: 'ready', checks: probes.map((p) => p.name) },
          },
        };
      },
    }),
  ];
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
