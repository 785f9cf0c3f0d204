// Admin command line: `npm run cli -- <command> [options]`. Results go to stdout (bootstrap prints
// exactly one JSON object); diagnostics go to stderr. Exit code 1 on any failure.
// On the embedded default it reaches a running server's database instead of opening the PGlite
// files a second time (see src/db/database.ts).
import { parseArgs } from 'node:util';
import { loadConfig } from './config/config.js';
import { generateKeySpec } from './crypto/key-ring.js';
import { rotateKeys } from './crypto/rotate-keys.js';
import { openInfrastructure } from './infrastructure.js';
import { pruneAuditEvents } from './modules/audit-events/audit-recorder.js';
import { bootstrapTenant } from './modules/tenants/bootstrap-service.js';
import { createLogger } from './observability/logger.js';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  bootstrap --tenant NAME --email EMAIL [--name NAME]
                 Create a tenant, its first admin user and an API key; prints
                 {"tenant_id","user_id","email","api_key"} as one JSON object.
  migrate        Apply pending database migrations (npm start does this too).
  rotate-keys    Re-encrypt every credential and client secret under the first
                 key of ENCRYPTION_KEYS. Safe while the service is serving.
    prune-audit [--older-than-days N]
                 Delete audit events older than N days (default 365).
  generate-key   Print a new ENCRYPTION_KEYS entry (id:base64key).

`;

class UsageError extends Error {}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'generate-key') {
    process.stdout.write(`${generateKeySpec()}\n`);
    return;
  }
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    if (!command) throw new UsageError('no command given');
    return;
  }
  const commands: Record<string, true> = {
    bootstrap: true,
    migrate: true,
    'rotate-keys': true,
    'prune-audit': true,
  };
  if (!commands[command]) throw new UsageError(`unknown command "${command}"`);
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      'older-than-days': { type: 'string', default: '365' },
    },
  });
  if (command === 'bootstrap' && (!values.tenant || !values.email)) {
    throw new UsageError('bootstrap needs --tenant NAME and --email EMAIL');
  }
  const retentionDays = Number(values['older-than-days']);
  if (!Number.isInteger(retentionDays) || retentionDays < 0) {
    throw new UsageError('--older-than-days must be a whole number of days');
  }

  const config = loadConfig();
  // Logs go to stderr so stdout stays machine-readable.
  const logger = createLogger(
    config.logLevel === 'info' ? 'warn' : config.logLevel,
    process.stderr,
    config.logFormat,
  );
  const infra = await openInfrastructure(config, logger, 'client');
  try {
    if (command === 'bootstrap') {
      const result = await bootstrapTenant(infra.prisma, {
        tenant: values.tenant as string,
        email: values.email as string,
        ...(values.name ? { name: values.name } : {}),
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else if (command === 'rotate-keys') {
      const result = await rotateKeys({
        prisma: infra.prisma,
        ring: infra.keyRing,
        onProgress: (p) => process.stderr.write(`${JSON.stringify(p)}\n`),
      });
      process.stdout.write(
        `${JSON.stringify({ active_key: infra.keyRing.activeKeyId, resealed: result })}\n`,
      );
    } else if (command === 'prune-audit') {
      const cutoff = new Date(Date.now() - retentionDays * 86_400_000);
      const deleted = await pruneAuditEvents(infra.prisma, cutoff);
      process.stdout.write(`${JSON.stringify({ deleted, older_than: cutoff.toISOString() })}\n`);
    } else {
      process.stdout.write(`${JSON.stringify({ migrated: true })}\n`);
    }
  } finally {
    await infra.close();
  }
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
    if (err instanceof UsageError) process.stderr.write(`\n${USAGE}`);
    process.exit(1);
  },
);
