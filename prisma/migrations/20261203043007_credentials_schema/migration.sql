-- What the credentials of an `other` auth-client's secrets must fit (API.md §8.3): a JSON string
-- names a built-in schema, an object is an inline JSON Schema, NULL means any JSON object.
-- AlterTable
ALTER TABLE "auth_clients" ADD COLUMN     "credentials_schema" JSONB;
