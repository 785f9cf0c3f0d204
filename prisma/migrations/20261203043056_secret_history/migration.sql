-- Secret history (API.md 9): versions of credentials bound to (secret, number), and a trash
-- (auth_secrets.deleted_at) that the worker purges after DELETED_SECRET_RETENTION_DAYS.
-- CreateEnum
CREATE TYPE "VersionCause" AS ENUM ('create', 'update', 'refresh', 'restore');

-- AlterTable
ALTER TABLE "auth_secrets" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "auth_secret_versions" (
    "auth_secret_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "cause" "VersionCause" NOT NULL,
    "user_id" UUID,
    "auth_type" "AuthType" NOT NULL,
    "credentials_sealed" BYTEA NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "auth_secret_versions_pkey" PRIMARY KEY ("auth_secret_id","number")
);

-- CreateIndex
CREATE INDEX "auth_secret_versions_user_id_idx" ON "auth_secret_versions"("user_id");

-- CreateIndex
CREATE INDEX "auth_secrets_deleted_at_idx" ON "auth_secrets"("deleted_at");

-- AddForeignKey
ALTER TABLE "auth_secret_versions" ADD CONSTRAINT "auth_secret_versions_auth_secret_id_fkey" FOREIGN KEY ("auth_secret_id") REFERENCES "auth_secrets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "auth_secret_versions" ADD CONSTRAINT "auth_secret_versions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
