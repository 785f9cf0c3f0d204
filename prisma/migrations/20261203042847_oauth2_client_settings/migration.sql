-- More oauth2 auth-client settings (API.md section 10.1): grant type, public clients (auth_method none),
-- extra request parameters, default token lifetime, renewal timing, revocation endpoint.
-- CreateEnum
CREATE TYPE "GrantType" AS ENUM ('authorization_code', 'client_credentials');

-- AlterEnum
ALTER TYPE "AuthMethod" ADD VALUE 'none';

-- AlterTable
ALTER TABLE "auth_clients" ADD COLUMN     "authorize_params" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "default_expires_in" INTEGER,
ADD COLUMN     "grant_type" "GrantType",
ADD COLUMN     "refresh_every_seconds" INTEGER,
ADD COLUMN     "refresh_margin_seconds" INTEGER,
ADD COLUMN     "refresh_params" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "revocation_url" TEXT,
ADD COLUMN     "token_params" JSONB NOT NULL DEFAULT '{}';

-- Clients made before grant types existed renew with the refresh token: authorization_code.
UPDATE "auth_clients" SET "grant_type" = 'authorization_code' WHERE "auth_type" = 'oauth2';
