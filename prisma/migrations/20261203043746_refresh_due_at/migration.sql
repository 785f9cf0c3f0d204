-- The worker claims secrets by when they are due (refresh_due_at), which per-client margins and
-- keep-alive intervals make different from expires_at minus one global margin (API.md section 10.1).
-- DropIndex
DROP INDEX "auth_secrets_auth_type_state_expires_at_id_idx";

-- AlterTable
ALTER TABLE "auth_secrets" ADD COLUMN     "refresh_due_at" TIMESTAMPTZ(3);

-- Existing tokens: the default margin of 300 seconds, at most half the token's lifetime
-- (the rule of src/modules/auth-secrets/refresh-schedule.ts, with no per-client settings yet).
UPDATE "auth_secrets"
SET "refresh_due_at" = "expires_at" - LEAST(
  interval '300 seconds',
  GREATEST(interval '0 seconds', "expires_at" - GREATEST("refreshed_at", "created_at")) / 2
)
WHERE "auth_type" = 'oauth2' AND "expires_at" IS NOT NULL;

-- CreateIndex
CREATE INDEX "auth_secrets_auth_type_state_refresh_due_at_id_idx" ON "auth_secrets"("auth_type", "state", "refresh_due_at", "id");
