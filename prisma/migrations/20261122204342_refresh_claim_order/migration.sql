-- DropIndex
DROP INDEX "auth_secrets_auth_type_state_expires_at_idx";

-- CreateIndex
CREATE INDEX "auth_secrets_auth_type_state_expires_at_id_idx" ON "auth_secrets"("auth_type", "state", "expires_at", "id");
