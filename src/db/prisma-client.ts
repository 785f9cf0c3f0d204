// The Prisma Client over @prisma/adapter-pg: no native query engine, one `pg` pool per process.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export interface PrismaClientOptions {
  url: string;
  // From openDatabase(): 1 against the embedded PGlite (see EMBEDDED_POOL_MAX), more against a server.
  poolMax: number;
}

export function createPrismaClient({ url, poolMax }: PrismaClientOptions): PrismaClient {
  // PrismaPg's first argument is a pg.PoolConfig; `max` caps the pool it creates on connect.
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolMax }) });
}
