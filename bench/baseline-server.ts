// The benchmark's yardstick: the least a service answering "GET one auth-secret" from the same
// PostgreSQL could do. No authentication, no permission check, no decryption, no serialization,
// no logging: one primary-key query, then a JSON:API document built once at start-up (the
// service's own response for the same secret, so both send the same bytes).
//
// Environment: PORT, DATABASE_URL, BASELINE_DOCUMENT_FILE, DATABASE_POOL_MAX (default 10, as the
// service's pool).
import { readFileSync } from 'node:fs';
import express from 'express';
import pg from 'pg';

const port = Number(process.env.PORT ?? 0);
const document = readFileSync(process.env.BASELINE_DOCUMENT_FILE ?? '', 'utf8');
const body = Buffer.from(document, 'utf8');
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
});

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/healthz', (_req, res) => {
  res.status(200).end();
});
app.get('/v2/workspaces/:workspace/secrets/:id', (req, res, next) => {
  pool
    .query('SELECT id FROM auth_secrets WHERE id = $1', [req.params.id])
    .then((result) => {
      if (result.rowCount === 0) return void res.status(404).end();
      res.status(200);
      res.setHeader('Content-Type', 'application/vnd.api+json');
      res.setHeader('Content-Length', body.length);
      res.end(body);
    })
    .catch(next);
});

const server = app.listen(port, '127.0.0.1', () => {
  process.stdout.write(`baseline listening on http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => {
      pool.end().finally(() => process.exit(0));
    });
  });
}
