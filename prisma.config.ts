// Prisma CLI configuration. Only `prisma generate` is used from the CLI (migrations run
// through the WebAssembly schema engine, see src/db/migrator.ts), so no datasource URL is needed.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
