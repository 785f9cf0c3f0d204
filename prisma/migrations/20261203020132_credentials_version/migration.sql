-- Counts writes of new credentials (create = 1, PATCH with credentials, a successful refresh).
-- A refresh stores its tokens only if it is unchanged since the refresh read the secret (API.md §7).
-- AlterTable
ALTER TABLE "auth_secrets" ADD COLUMN     "credentials_version" INTEGER NOT NULL DEFAULT 1;
