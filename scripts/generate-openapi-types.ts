// `npm run openapi:generate`: writes src/client/api-types.ts from the OpenAPI description as the
// service serves it: the application is wired (no database is opened: describing needs none),
// GET /v2/openapi.json is asked of it on a loopback port, and the answer goes to openapi-typescript.
// test/openapi/typed-client.test.ts fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { wireApplication } from '../src/composition-root.js';
import { loadConfig } from '../src/config/config.js';
import { generateKeySpec, parseKeyRing } from '../src/crypto/key-ring.js';
import { createPrismaClient } from '../src/db/prisma-client.js';
import { OPENAPI_PATH } from '../src/modules/openapi/openapi-router.js';
import { createLogger } from '../src/observability/logger.js';
import { API_TYPES_FILE, renderApiTypes } from './render-api-types.js';

const config = loadConfig({});
// Never connected: nothing on the way to the description queries the database.
const prisma = createPrismaClient({ url: 'postgresql://describe@127.0.0.1:1/none', poolMax: 1 });
const { app } = wireApplication({
  prisma,
  config,
  logger: createLogger('warn'),
  keyRing: parseKeyRing(generateKeySpec('describe')),
});
const server = http.createServer(app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}${OPENAPI_PATH}`);
  if (!response.ok) throw new Error(`GET ${OPENAPI_PATH} answered ${response.status}`);
  writeFileSync(API_TYPES_FILE, await renderApiTypes((await response.json()) as object));
  console.log(`wrote ${API_TYPES_FILE.pathname}`);
} finally {
  server.close();
  await prisma.$disconnect();
}
