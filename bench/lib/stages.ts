// The stages of "GET one auth-secret", each measured alone in this process against the benchmark's
// database, with the service's own modules: CPU time per operation is what caps a single Node
// process's requests/s, wall time per operation what a request waits for. Part of `--profile`.
import pg from 'pg';
import pino from 'pino';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { authSecretAad } from '../../src/crypto/aad.js';
import { open } from '../../src/crypto/envelope.js';
import type { KeyRing } from '../../src/crypto/key-ring.js';
import { createPrismaClient, sqlOf } from '../../src/db/prisma-client.js';
import { buildDocument } from '../../src/http/jsonapi/document-builder.js';
import { createLinks } from '../../src/http/jsonapi/links.js';
import { createSchemaRegistry } from '../../src/http/validation/schema-registry.js';
import { authSecretSpec } from '../../src/modules/auth-secrets/auth-secret-serializer.js';
import { createAuthSecretService } from '../../src/modules/auth-secrets/auth-secret-service.js';
import { createAuthSecretStore } from '../../src/modules/auth-secrets/auth-secret-store.js';
import { createCredentialSchemas } from '../../src/modules/credential-schemas/credential-schemas.js';
import { createAccessPolicy } from '../../src/permissions/access-policy.js';

export interface StageInput {
  databaseUrl: string;
  ring: KeyRing;
  authorization: string;
  workspaceId: string;
  secretId: string;
  /** A workspace with many secrets, for the list stages (optional). */
  listWorkspaceId?: string;
  iterations: number;
}

interface Measured {
  stage: string;
  wallUs: number;
  cpuUs: number;
  concurrentCpuUs: number;
  concurrentOpsPerSecond: number;
}

const CONCURRENCY = 50;

async function loop(n: number, op: () => Promise<unknown> | unknown): Promise<void> {
  for (let i = 0; i < n; i++) await op();
}

async function measure(stage: string, n: number, op: () => Promise<unknown> | unknown): Promise<Measured> {
  await loop(Math.min(500, n), op);
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  await loop(n, op);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // The same number of operations from CONCURRENCY loops at once, as under load.
  const each = Math.ceil(n / CONCURRENCY);
  cpu0 = process.cpuUsage();
  t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, () => loop(each, op)));
  const concurrentWall = performance.now() - t0;
  const concurrentCpu = process.cpuUsage(cpu0);
  return {
    stage,
    wallUs: (wall * 1000) / n,
    cpuUs: (cpu.user + cpu.system) / n,
    concurrentCpuUs: (concurrentCpu.user + concurrentCpu.system) / (each * CONCURRENCY),
    concurrentOpsPerSecond: (each * CONCURRENCY) / (concurrentWall / 1000),
  };
}

export async function measureStages(input: StageInput): Promise<string> {
  const n = input.iterations;
  const prisma = createPrismaClient({ url: input.databaseUrl, poolMax: 10 });
  const pool = new pg.Pool({ connectionString: input.databaseUrl, max: 10 });
  try {
    const authenticate = createAuthenticator(sqlOf(prisma));
    const policy = createAccessPolicy(sqlOf(prisma));
    const secrets = createAuthSecretService({
      store: createAuthSecretStore({ prisma, sql: sqlOf(prisma), versionsKept: 10 }),
      prisma,
      keyRing: input.ring,
      schemas: createSchemaRegistry(),
      credentialSchemas: createCredentialSchemas(),
      logger: pino({ level: 'silent' }),
    });
    const principal = await authenticate(input.authorization);
    const access = await policy.requireWorkspace(principal, input.workspaceId, 'workspaces.auth_secret.get');
    const row = await prisma.authSecret.findFirstOrThrow({ where: { id: input.secretId } });
    const view = await secrets.get(access.workspace, input.secretId);
    const links = createLinks('http://127.0.0.1:3000');
    const actor = {
      tenantId: principal.tenantId,
      userId: principal.userId,
      apiKeyId: principal.apiKeyId,
      requestId: 'bench',
    };
    const results: Measured[] = [
      await measure('pg: SELECT by primary key (what the baseline does)', n, () =>
        pool.query('SELECT id FROM auth_secrets WHERE id = $1', [input.secretId]),
      ),
      await measure('Prisma: $queryRaw SELECT 1', n, () => prisma.$queryRaw`SELECT 1`),
      await measure('Prisma: authSecret.findUnique by id', n, () =>
        prisma.authSecret.findUnique({ where: { id: input.secretId } }),
      ),
      await measure('authentication: authenticate(Authorization) (batched SQL)', n, () =>
        authenticate(input.authorization),
      ),
      await measure('permission lookup: requireWorkspace() (batched SQL)', n, () =>
        policy.requireWorkspace(principal, input.workspaceId, 'workspaces.auth_secret.get'),
      ),
      // What requireWorkspace() did before it became one query: Prisma's nested include runs as
      // three (workspace, membership, role). Kept here to show the difference in the same run.
      await measure('permission lookup, previous form (Prisma nested include)', n, () =>
        prisma.workspace.findFirst({
          where: { id: input.workspaceId, tenantId: principal.tenantId },
          include: {
            memberships: {
              where: { userId: principal.userId },
              select: { role: { select: { permissions: true } } },
            },
          },
        }),
      ),
      await measure('auth-secret read: service.get() (batched SQL + decryption)', n, () =>
        secrets.get(access.workspace, input.secretId),
      ),
      await measure('read audit: recordReads() of 1 secret (batched INSERT)', n, () =>
        secrets.recordReads(actor, access.workspace, [input.secretId]),
      ),
      await measure('decryption only: open() of the sealed credentials', n, () =>
        open(input.ring, row.credentialsSealed, authSecretAad(row)),
      ),
      await measure('serialization: buildDocument() + JSON.stringify', n, async () =>
        JSON.stringify(await buildDocument(authSecretSpec, view, { links })),
      ),
    ];
    if (input.listWorkspaceId) {
      const listAccess = await policy.requireWorkspace(
        principal,
        input.listWorkspaceId,
        'workspaces.auth_secret.get',
      );
      const page = await secrets.list(listAccess.workspace, {}, { size: 50 });
      const m = Math.max(50, Math.round(n / 10));
      results.push(
        await measure('list: Prisma authSecret.findMany, 51 rows', m, () =>
          prisma.authSecret.findMany({
            where: { workspaceId: input.listWorkspaceId },
            orderBy: { id: 'asc' },
            take: 51,
          }),
        ),
        await measure('list: pg SELECT of the same 51 rows', m, () =>
          pool.query('SELECT * FROM auth_secrets WHERE workspace_id = $1 ORDER BY id LIMIT 51', [
            input.listWorkspaceId,
          ]),
        ),
        await measure('list: service.list() (one SQL page + 50 decryptions)', m, () =>
          secrets.list(listAccess.workspace, {}, { size: 50 }),
        ),
        await measure('list: read audit, recordReads() of 50 secrets (batched INSERT)', m, () =>
          secrets.recordReads(
            actor,
            listAccess.workspace,
            page.items.map((i) => i.id),
          ),
        ),
        await measure('list: buildDocument() of 50 + JSON.stringify', m, async () =>
          JSON.stringify(await buildDocument(authSecretSpec, page.items, { links })),
        ),
      );
    }
    const lines = [
      `Stages of GET one auth-secret, each measured alone in one process: ${n} operations one after another, ` +
        `then ${n} from ${CONCURRENCY} concurrent loops:`,
      '',
      '| stage | sequential: wall µs/op | sequential: CPU µs/op | concurrent: CPU µs/op | concurrent: ops/s |',
      '|---|--:|--:|--:|--:|',
      ...results.map(
        (r) =>
          `| ${r.stage} | ${r.wallUs.toFixed(0)} | ${r.cpuUs.toFixed(0)} | ${r.concurrentCpuUs.toFixed(0)} | ${r.concurrentOpsPerSecond.toFixed(0)} |`,
      ),
    ];
    return lines.join('\n');
  } finally {
    await prisma.$disconnect();
    await pool.end();
  }
}
