-- description and tags of auth-secrets (API.md §8.2). auth_secret_tags is the lookup index for
-- filter[tags.KEY]=VALUE, kept in step with auth_secrets.tags by the auth-secret store, and the
-- (workspace_id, name, id) index serves filter[name] (docs/PERFORMANCE.md, "Tag filters").

-- AlterTable
ALTER TABLE "auth_secrets" ADD COLUMN     "description" TEXT,
ADD COLUMN     "tags" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "auth_secret_tags" (
    "secret_id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "auth_secret_tags_pkey" PRIMARY KEY ("secret_id","key")
);

-- CreateIndex
CREATE INDEX "auth_secret_tags_workspace_id_key_value_secret_id_idx" ON "auth_secret_tags"("workspace_id", "key", "value", "secret_id");

-- CreateIndex
CREATE INDEX "auth_secrets_workspace_id_name_id_idx" ON "auth_secrets"("workspace_id", "name", "id");

-- AddForeignKey
ALTER TABLE "auth_secret_tags" ADD CONSTRAINT "auth_secret_tags_secret_id_fkey" FOREIGN KEY ("secret_id") REFERENCES "auth_secrets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
