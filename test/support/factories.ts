// The one fixture builder: everything a test creates comes from here. Every test makes its own
// tenant, so tests never truncate and never see each other's data (the Outline pattern). Pick the
// smallest fixture that states the case:
// - records:        a tenant, users, API keys, workspaces, memberships straight in the database;
// - world:          one tenant with a cast of actors, one per role (admin, owner, viewer, …), and a
//                   second tenant; plus `send` and `tenantSnapshot` for table-driven cases;
// - api-resources:  auth-clients and auth-secrets created through the API (responses recorded
//                   for the secret scan);
// - sealed-secrets: many oauth2 auth-secrets sealed straight in the database, for refresh tests;
// - populated-tenant: a tenant with one of everything, built through the API (real audit
//                   events), every string collected, for the fuzz and isolation suites.
export * from './fixtures/api-resources.js';
export * from './fixtures/populated-tenant.js';
export * from './fixtures/records.js';
export * from './fixtures/sealed-secrets.js';
export * from './fixtures/world.js';
