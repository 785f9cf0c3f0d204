// The one module that reads the environment. Everything else receives a typed Config.
// Values are validated against schemas/config.schema.json; every problem is reported at once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

export interface Config {
  port: number;
  host: string;
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  dataDir: string;
  redisUrl: string | undefined;
  encryptionKeys: string | undefined;
  oauthAllowLoopbackHttp: boolean;
  oauthTimeoutMs: number;
  refreshAheadSeconds: number;
  refreshConcurrency: number;
  refreshPollSeconds: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const schemaPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../schemas/config.schema.json',
);
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
  properties: Record<string, { type: string }>;
};

// coerceTypes turns "3000" into 3000 and "true" into true, which is what env strings need.
const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** Reads and validates the variables this service knows; unknown variables are ignored. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = env[name];
    // An empty assignment (`FOO=` in a .env file) means "not set".
    if (value !== undefined && value !== '') raw[name] = value;
  }
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const name = e.instancePath.replace(/^\//, '') || 'configuration';
      // Never echo the value: it may be a secret (ENCRYPTION_KEYS, a URL with a password).
      return `${name} ${e.message ?? 'is invalid'}`;
    });
    throw new ConfigError(problems);
  }
  // After validation with defaults every key of the schema with a default is present.
  // biome-ignore lint/suspicious/noExplicitAny: shape guaranteed by the schema just checked.
  const v = raw as Record<string, any>;
  return {
    port: v.PORT,
    host: v.HOST,
    publicUrl: v.PUBLIC_URL?.replace(/\/+$/, ''),
    databaseUrl: v.DATABASE_URL,
    databasePoolMax: v.DATABASE_POOL_MAX,
    dataDir: path.resolve(v.DATA_DIR),
    redisUrl: v.REDIS_URL,
    encryptionKeys: v.ENCRYPTION_KEYS,
    oauthAllowLoopbackHttp: v.OAUTH_ALLOW_LOOPBACK_HTTP,
    oauthTimeoutMs: v.OAUTH_TIMEOUT_MS,
    refreshAheadSeconds: v.REFRESH_AHEAD_SECONDS,
    refreshConcurrency: v.REFRESH_CONCURRENCY,
    refreshPollSeconds: v.REFRESH_POLL_SECONDS,
    bodyLimitBytes: v.BODY_LIMIT_BYTES,
    requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    logLevel: v.LOG_LEVEL,
  };
}
