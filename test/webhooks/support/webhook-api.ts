// Webhooks made through the API, for the webhook suites: each call asserts its own success and
// records the response for the secret scan.
import assert from 'node:assert/strict';
import type { Express } from 'express';
import request from 'supertest';
import { assertJsonApiResponse } from '../../support/jsonapi-schema.js';
import { marker, track } from '../../support/secrets.js';

export const JSONAPI = 'application/vnd.api+json';

export interface CreatedWebhook {
  id: string;
  secret: string;
}

export function webhookDocument(url: string, attributes: Record<string, unknown> = {}, workspaceId?: string) {
  return {
    data: {
      type: 'webhook',
      attributes: { url, events: ['*'], description: marker('hook'), ...attributes },
      ...(workspaceId
        ? { relationships: { workspace: { data: { type: 'workspace', id: workspaceId } } } }
        : {}),
    },
  };
}

export async function createWebhook(
  app: Express,
  auth: string,
  tenantId: string,
  url: string,
  attributes: Record<string, unknown> = {},
  workspaceId?: string,
): Promise<CreatedWebhook> {
  const res = track(
    await request(app)
      .post(`/v2/tenants/${tenantId}/webhooks`)
      .set('Authorization', auth)
      .set('Content-Type', JSONAPI)
      .send(webhookDocument(url, attributes, workspaceId)),
  );
  assertJsonApiResponse(res);
  assert.equal(res.status, 201, res.text);
  const secret = res.body.data.attributes.secret;
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  return { id: res.body.data.id, secret };
}

export interface DeliveryResource {
  id: string;
  type: 'webhook-delivery';
  attributes: {
    event_type: string;
    status: 'pending' | 'delivered' | 'failed';
    attempts: number;
    last_status_code: number | null;
    last_error: string | null;
    next_attempt_at: string | null;
  };
  links: { self: string };
}

/** GET …/deliveries of a webhook (up to 200, newest first). */
export async function listDeliveries(
  app: Express,
  auth: string,
  tenantId: string,
  webhookId: string,
): Promise<DeliveryResource[]> {
  const res = await request(app)
    .get(`/v2/tenants/${tenantId}/webhooks/${webhookId}/deliveries?page[size]=200`)
    .set('Authorization', auth);
  assertJsonApiResponse(res);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}
