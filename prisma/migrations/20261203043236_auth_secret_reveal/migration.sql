-- Seeing credentials became its own permission, workspaces.auth_secret.reveal (API.md §8.1).
-- Before it, workspaces.auth_secret.get included the credentials. So that nothing a custom role
-- or a scoped API key sees today disappears, each one that holds auth_secret.get also gets reveal.
-- Built-in roles are not touched here: their rows are rewritten from the code at every start
-- (src/modules/roles/built-in-roles.ts), which is what narrows the built-in viewer.
-- Unscoped keys (scoped = false) need nothing: they may use whatever their user's roles grant.

-- Custom roles
UPDATE "roles"
SET "permissions" = array_append("permissions", 'workspaces.auth_secret.reveal'),
    "updated_at" = CURRENT_TIMESTAMP
WHERE "built_in" = false
  AND 'workspaces.auth_secret.get' = ANY ("permissions")
  AND NOT ('workspaces.auth_secret.reveal' = ANY ("permissions"));

-- Scoped API keys
UPDATE "api_keys"
SET "scopes" = array_append("scopes", 'workspaces.auth_secret.reveal'),
    "updated_at" = CURRENT_TIMESTAMP
WHERE "scoped" = true
  AND 'workspaces.auth_secret.get' = ANY ("scopes")
  AND NOT ('workspaces.auth_secret.reveal' = ANY ("scopes"));
