import type { PrismaClient } from '../../generated/prisma/client.js';
import { ApiError } from '../../http/errors.js';
import { access, type RouteDefinition } from '../../http/route-table.js';

export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
}

export function healthRoutes(prisma: PrismaClient, extraProbes: ReadinessProbe[] = []): RouteDefinition[] {
  const probes: ReadinessProbe[] = [
    { name: 'database', check: async () => void (await prisma.$queryRaw`SELECT 1`) },
    ...extraProbes,
  ];
  return [
    {
      method: 'GET',
      path: '/healthz',
      access: access.public,
      handler: async () => ({
        status: 200,
        document: { jsonapi: { version: '1.1' }, meta: { status: 'ok' } },
      }),
    },
    {
      method: 'GET',
      path: '/readyz',
      access: access.public,
      handler: async () => {
        const failed: string[] = [];
        await Promise.all(
          probes.map((p) =>
            withTimeout(p.check(), 2000).catch(() => {
              failed.push(p.name);
            }),
          ),
        );
        if (failed.length > 0) {
          throw new ApiError({
            status: 503,
            code: 'not_ready',
            title: 'Service unavailable',
            detail: `Not reachable: ${failed.join(', ')}.`,
          });
        }
        return {
          status: 200,
          document: {
            jsonapi: { version: '1.1' },
            meta: { status: 'ready', checks: probes.map((p) => p.name) },
          },
        };
      },
    },
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
