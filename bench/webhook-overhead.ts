// `npx tsx bench/webhook-overhead.ts [rounds]`: what recording webhook events costs a secret write.
// The same PATCH (a rename) of a secret in a tenant without webhooks and in one with 3 subscribed
// webhooks, through the real app on TEST_DATABASE_URL (or the embedded database), in alternating
// blocks so that load from elsewhere on the machine hits both alike. No worker runs: events are only
// queued, as in a request. Prints the median and p90 of each and their ratio.
import request from 'supertest';
import {
  createClient,
  createSecret,
  createTenant,
  createWorkspace,
  httpFor,
} from '../test/support/factories.js';
import { createTestApp } from '../test/support/test-app.js';
import { getTestDatabase } from '../test/support/test-database.js';

const rounds = Number(process.argv[2] ?? 10);
const perBlock = 30;

const database = await getTestDatabase();
const t = await createTestApp({ LOG_LEVEL: 'silent' });
const http = httpFor(t);

async function target(webhooks: number) {
  const tenant = await createTenant(t.prisma);
  const ws = await createWorkspace(t.prisma, tenant.tenantId, tenant.admin.userId);
  const client = await createClient(http, tenant.admin.auth, tenant.tenantId);
  const secret = await createSecret(http, tenant.admin.auth, ws, client.id);
  for (let i = 0; i < webhooks; i += 1) {
    const res = await request(t.app)
      .post(`/v2/tenants/${tenant.tenantId}/webhooks`)
      .set('Authorization', tenant.admin.auth)
      .set('Content-Type', 'application/json')
      .send({
        data: { type: 'webhook', attributes: { url: `https://hooks.example.test/${i}`, events: ['*'] } },
      });
    if (res.status !== 201) throw new Error(res.text);
  }
  return { auth: tenant.admin.auth, path: `/v2/workspaces/${ws}/secrets/${secret.id}`, id: secret.id };
}

async function block(x: { auth: string; path: string; id: string }, samples: number[]) {
  for (let i = 0; i < perBlock; i += 1) {
    const started = process.hrtime.bigint();
    const res = await request(t.app)
      .patch(x.path)
      .set('Authorization', x.auth)
      .set('Content-Type', 'application/json')
      .send({ data: { type: 'auth-secret', id: x.id, attributes: { name: `n-${i}-${Date.now()}` } } });
    if (res.status !== 200) throw new Error(res.text);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}

const none = await target(0);
const three = await target(3);
const a: number[] = [];
const b: number[] = [];
await block(none, []); // warm-up
await block(three, []);
for (let r = 0; r < rounds; r += 1) {
  await block(none, a);
  await block(three, b);
}
const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) * p)] ?? 0;
const line = (name: string, xs: number[]) =>
  `${name}: n=${xs.length} median ${pct(xs, 0.5).toFixed(2)} ms, p90 ${pct(xs, 0.9).toFixed(2)} ms`;
console.log(line('PATCH, no webhooks      ', a));
console.log(line('PATCH, 3 webhooks (*)   ', b));
console.log(
  `median ratio ${(pct(b, 0.5) / pct(a, 0.5)).toFixed(3)}, p90 ratio ${(pct(b, 0.9) / pct(a, 0.9)).toFixed(3)}`,
);
const queued = await t.prisma.webhookDelivery.count({
  where: {
    eventType: 'auth_secret.updated',
    webhook: { url: { startsWith: 'https://hooks.example.test/' } },
  },
});
console.log(`deliveries queued by the 3-webhook tenant's PATCHes (and others in this database): ${queued}`);
await t.close();
await database.close();
process.exit(0);
