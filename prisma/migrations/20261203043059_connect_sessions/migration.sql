-- Connect sessions (API.md 10.2): one authorization-code flow with PKCE each, looked up by the hash of
-- its state. Deleting the workspace, the creator or the auth-client removes them with it.
-- CreateEnum
CREATE TYPE "ConnectSessionStatus" AS ENUM ('pending', 'completed', 'failed');

-- CreateTable
CREATE TABLE "connect_sessions" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "api_key_id" UUID,
    "auth_client_id" UUID NOT NULL,
    "auth_secret_id" UUID,
    "reauthorize" BOOLEAN NOT NULL DEFAULT false,
    "name" TEXT NOT NULL,
    "scopes" TEXT[],
    "return_url" TEXT,
    "redirect_uri" TEXT NOT NULL,
    "state_hash" BYTEA NOT NULL,
    "code_verifier_sealed" BYTEA NOT NULL,
    "status" "ConnectSessionStatus" NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "claimed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "connect_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "connect_sessions_state_hash_key" ON "connect_sessions"("state_hash");

-- CreateIndex
CREATE INDEX "connect_sessions_workspace_id_id_idx" ON "connect_sessions"("workspace_id", "id");

-- CreateIndex
CREATE INDEX "connect_sessions_user_id_idx" ON "connect_sessions"("user_id");

-- CreateIndex
CREATE INDEX "connect_sessions_auth_client_id_idx" ON "connect_sessions"("auth_client_id");

-- CreateIndex
CREATE INDEX "connect_sessions_auth_secret_id_idx" ON "connect_sessions"("auth_secret_id");

-- AddForeignKey
ALTER TABLE "connect_sessions" ADD CONSTRAINT "connect_sessions_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connect_sessions" ADD CONSTRAINT "connect_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connect_sessions" ADD CONSTRAINT "connect_sessions_auth_client_id_fkey" FOREIGN KEY ("auth_client_id") REFERENCES "auth_clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connect_sessions" ADD CONSTRAINT "connect_sessions_auth_secret_id_fkey" FOREIGN KEY ("auth_secret_id") REFERENCES "auth_secrets"("id") ON DELETE SET NULL ON UPDATE CASCADE;
