// `npm run bench [-- --quick] [-- --only=get,ladder,list,tags,create,storm,wave] [-- --profile]`
//
// Starts PostgreSQL (scripts/test-services.sh, or a fresh database on BENCH_DATABASE_URL /
// DATABASE_URL), the service (`dist/server.js` as `npm start` runs it, one process, its refresh worker included), a local
// OAuth2 token endpoint answering in 200 ms, and the baseline server (bench/baseline-server.ts);
// drives autocannon from a process of its own per measurement (bench/lib/load-worker.ts); seeds data through the API and in bulk; measures each scenario against the baseline measured in
// the same run; prints a Markdown table and writes bench/results/latest.{json,md}. Everything it
// started is stopped again, on failure and on Ctrl-C too. See docs/PERFORMANCE.md.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateKeySpec, parseKeyRing } from '../src/crypto/key-ring.js';
import { encodeCursor } from '../src/http/jsonapi/pagination.js';
import { OAuthTestServer } from '../test/support/oauth-server.js';
import { onCleanup, runCleanups } from './lib/cleanup.js';
import { CpuAccounting } from './lib/cpu.js';
import { type LoadResult, runLoad } from './lib/load.js';
import { startDatabase } from './lib/postgres.js';
import {
  type Child,
  ensureBuild,
  repoRoot,
  runTsx,
  sleep,
  startChild,
  startScriptNodeFlags,
} from './lib/processes.js';
import { profileClockUs, summarizeProfile } from './lib/profile.js';
import { markdownTable, type Row } from './lib/report.js';
import { RssSampler } from './lib/rss.js';
import { type Bootstrapped, bulkInsertSecrets, createSecretBody, setUpTenancy } from './lib/seed.js';
import { measureStages } from './lib/stages.js';
import { burst } from './lib/storm.js';

const SCENARIOS = ['get', 'ladder', 'list', 'tags', 'create', 'storm', 'wave'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'refresh-concurrency': { type: 'string', default: '50' },
    duration: { type: 'string' },
    'keep-logs': { type: 'boolean', default: false },
    hold: { type: 'string' },
    'service-node-options': { type: 'string' },
  },
  strict: true,
});

const quick = flags.quick === true;
const only = new Set<Scenario>(
  flags.only ? (flags.only.split(',').map((s) => s.trim()) as Scenario[]) : [...SCENARIOS],
);
for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario "${s}"`);
const refreshConcurrency = Number(flags['refresh-concurrency']);
const sizes = {
  listRows: quick ? 10_000 : 100_000,
  deepRow: quick ? 5_000 : 50_000,
  tagRows: quick ? 10_000 : 100_000,
  /** Secrets carrying the rare tag, spread evenly over the workspace. */
  rareTagRows: 5,
  waveRows: quick ? 1_000 : 10_000,
  stormRequests: 1_000,
  durationSeconds: Number(flags.duration ?? (quick ? 3 : 10)),
  warmupSeconds: quick ? 1 : 3,
  connections: 50,
  pageSize: 50,
  providerLatencyMs: 200,
  waveLimitSeconds: 120,
};

/**
 * The tag scenario's load: fewer connections than the others, so that its p50 is mostly the
 * request's own time rather than the queue that 50 connections build (Little's law).
 */
const TAG_CONNECTIONS = 10;

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const MB = 2 ** 20;

interface Context {
  service: Child;
  baseline: Child | undefined;
  provider: OAuthTestServer;
  pool: pg.Pool;
  sampler: RssSampler;
  cpu: CpuAccounting;
  auth: string;
  paths: {
    get: string;
    workspace: string;
    listFirst: string;
    listDeep: string;
    /** The tagged workspace's first page: unfiltered, and by a common tag, a rare tag, a name. */
    tags: Record<'none' | 'common' | 'rare' | 'name', string>;
    create: string;
    storm: string;
    /** Another secret like `storm`, refreshed once by a storm before the measured one. */
    stormWarmup: string;
  };
  createBody: string;
  waveWorkspace: string;
  baselineRps: number[];
}

function rowFrom(
  scenario: string,
  result: LoadResult,
  ctx: Context,
  extra: Partial<Row> & { target: string; met: boolean | undefined },
): Row {
  const problems =
    result.non2xx + result.errors > 0
      ? ` ${result.non2xx} non-2xx ${JSON.stringify(result.statusCodes)}, ${result.errors} errors`
      : '';
  return {
    scenario,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    rss: ctx.sampler.mark(),
    cpu: ctx.cpu.mark(),
    ...extra,
    notes: `${extra.notes ?? ''}${problems}`.trim(),
  };
}

/** Starts a scenario with fresh RSS and load intervals. */
function begin(ctx: Context): void {
  ctx.sampler.mark();
  ctx.cpu.mark();
}

const loadOpts = (ctx: Context) => ({
  connections: sizes.connections,
  durationSeconds: sizes.durationSeconds,
  warmupSeconds: sizes.warmupSeconds,
  headers: { Authorization: ctx.auth, Accept: 'application/vnd.api+json' },
});

async function measureBaseline(ctx: Context, label: string): Promise<Row | undefined> {
  if (!ctx.baseline) return undefined;
  begin(ctx);
  const r = await runLoad({ ...loadOpts(ctx), url: `${ctx.baseline.url}${ctx.paths.get}` });
  ctx.baselineRps.push(r.rps);
  return rowFrom(`baseline: minimal Express, 1 PK query (${label})`, r, ctx, {
    target: '',
    met: undefined,
    notes: `${sizes.connections} connections; 1/throughput = ${(1000 / r.rps).toFixed(2)} ms per request`,
  });
}

function medianBaseline(ctx: Context): number {
  const v = [...ctx.baselineRps].sort((a, b) => a - b);
  return v.length === 0 ? Number.NaN : (v[Math.floor((v.length - 1) / 2)] as number);
}

async function scenarioGet(ctx: Context): Promise<Row[]> {
  begin(ctx);
  const r = await runLoad({ ...loadOpts(ctx), url: `${ctx.service.url}${ctx.paths.get}` });
  const saturated = rowFrom('GET one auth-secret (decrypted)', r, ctx, {
    relativeToBaseline: true,
    minRatio: 0.5,
    target: '≥ 0.5× baseline, p99 < 25 ms',
    met: r.p99 < 25 && r.non2xx + r.errors === 0,
    notes: `${sizes.connections} connections; 1/throughput = ${(1000 / r.rps).toFixed(2)} ms per request`,
  });
  // Closed-loop latency at saturation is queueing (Little's law: p50 ≈ connections / req/s). One
  // connection sending one request at a time shows the service's own latency, next to the
  // baseline's measured the same way.
  const rows = [saturated];
  let baselineSingle: LoadResult | undefined;
  if (ctx.baseline) {
    begin(ctx);
    baselineSingle = await runLoad({
      ...loadOpts(ctx),
      connections: 1,
      url: `${ctx.baseline.url}${ctx.paths.get}`,
    });
    rows.push(
      rowFrom('baseline, 1 connection (unloaded latency)', baselineSingle, ctx, {
        target: '',
        met: undefined,
        notes: '1 request at a time',
      }),
    );
  }
  begin(ctx);
  const single = await runLoad({
    ...loadOpts(ctx),
    connections: 1,
    url: `${ctx.service.url}${ctx.paths.get}`,
  });
  rows.push(
    rowFrom('GET one auth-secret, 1 connection (unloaded latency)', single, ctx, {
      ratio: baselineSingle ? single.rps / baselineSingle.rps : undefined,
      target: '',
      met: undefined,
      notes: '1 request at a time; × the baseline with 1 connection',
    }),
  );
  return rows;
}

/**
 * What each layer of the GET costs: the same pipeline with less and less behind it, each measured
 * like the GET itself. The differences between the rungs are what the layers cost.
 */
async function scenarioLadder(ctx: Context): Promise<Row[]> {
  const rungs: [string, string][] = [
    ['GET /healthz: middleware pipeline only, no query', '/healthz'],
    ['GET /readyz: pipeline + 1 query (`SELECT 1`), no authentication', '/readyz'],
    ['GET /v2/users/me: + authentication (2 queries)', '/v2/users/me'],
    ['GET /v2/workspaces/{id}: authentication + permission lookup (2 queries)', ctx.paths.workspace],
  ];
  const rows: Row[] = [];
  for (const [name, path] of rungs) {
    begin(ctx);
    const r = await runLoad({ ...loadOpts(ctx), url: `${ctx.service.url}${path}` });
    rows.push(
      rowFrom(`ladder: ${name}`, r, ctx, {
        relativeToBaseline: true,
        target: '',
        met: undefined,
        notes: `1/throughput = ${(1000 / r.rps).toFixed(2)} ms per request`,
      }),
    );
  }
  return rows;
}

async function scenarioList(ctx: Context): Promise<Row[]> {
  begin(ctx);
  const first = await runLoad({ ...loadOpts(ctx), url: `${ctx.service.url}${ctx.paths.listFirst}` });
  const firstRow = rowFrom(`list, page[size]=${sizes.pageSize}, first page`, first, ctx, {
    relativeToBaseline: true,
    target: '',
    met: undefined,
    notes: `${sizes.listRows.toLocaleString('en-US')} secrets in the workspace`,
  });
  begin(ctx);
  const deep = await runLoad({ ...loadOpts(ctx), url: `${ctx.service.url}${ctx.paths.listDeep}` });
  const factor = deep.p50 / first.p50;
  const deepRow = rowFrom(
    `list, page[size]=${sizes.pageSize}, ${sizes.deepRow.toLocaleString('en-US')} rows deep (cursor)`,
    deep,
    ctx,
    {
      relativeToBaseline: true,
      target: 'p50 ≤ 1.5× first page',
      met: factor <= 1.5 && deep.non2xx + deep.errors === 0,
      notes: `p50 = ${factor.toFixed(2)}× first page`,
    },
  );
  return [firstRow, deepRow];
}

/** The median of the rounds' p50 (and p99), the requests of all of them. */
function combineRounds(results: LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const median = (f: (r: LoadResult) => number) => {
    const v = results.map(f).sort((a, b) => a - b);
    return v[Math.floor((v.length - 1) / 2)] as number;
  };
  const statusCodes: Record<string, number> = {};
  for (const r of results)
    for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    requests: sum((r) => r.requests),
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    durationSeconds: sum((r) => r.durationSeconds),
    rps: sum((r) => r.ok) / sum((r) => r.durationSeconds),
    p50: median((r) => r.p50),
    p99: median((r) => r.p99),
    statusCodes,
  };
}

/**
 * API.md §8.2 filters on a workspace of sizes.tagRows secrets: the first page filtered by a tag on
 * half of them, by a tag on five of them and by name, each against the same page unfiltered. The
 * tag index must keep each a cursor page (docs/PERFORMANCE.md, "Tag filters"), not a scan or sort.
 * The four run in interleaved rounds (none, common, rare, name, none, …) with the median of each's
 * rounds reported: on a shared machine, load that comes and goes then hits all four alike rather
 * than whichever ran during it. CPU and RSS are those of the whole block.
 */
async function scenarioTags(ctx: Context): Promise<Row[]> {
  const kinds: [keyof Context['paths']['tags'], string][] = [
    ['none', `no filter (page[size]=${sizes.pageSize})`],
    ['common', 'filter[tags.env]=prod: a tag on half of the secrets'],
    ['rare', `filter[tags.owner]=rare: a tag on ${sizes.rareTagRows} secrets`],
    ['name', 'filter[name]: one secret'],
  ];
  const rounds = quick ? 2 : 4;
  const results = new Map<string, LoadResult[]>(kinds.map(([k]) => [k, []]));
  begin(ctx);
  for (let round = 0; round < rounds; round++) {
    for (const [kind] of kinds) {
      const r = await runLoad({
        ...loadOpts(ctx),
        connections: TAG_CONNECTIONS,
        durationSeconds: Math.max(2, Math.round(sizes.durationSeconds / 2)),
        warmupSeconds: round === 0 ? sizes.warmupSeconds : 0,
        url: `${ctx.service.url}${ctx.paths.tags[kind]}`,
      });
      results.get(kind)?.push(r);
    }
  }
  const rss = ctx.sampler.mark();
  const cpu = ctx.cpu.mark();
  const none = combineRounds(results.get('none') ?? []);
  return kinds.map(([kind, label]) => {
    const r = combineRounds(results.get(kind) ?? []);
    const factor = r.p50 / none.p50;
    const row = rowFrom(`tags: first page, ${label}`, r, ctx, {
      relativeToBaseline: true,
      target: kind === 'common' || kind === 'rare' ? 'p50 ≤ 1.5× unfiltered' : '',
      met: kind === 'common' || kind === 'rare' ? factor <= 1.5 && r.non2xx + r.errors === 0 : undefined,
      notes:
        kind === 'none'
          ? `${sizes.tagRows.toLocaleString('en-US')} secrets in the workspace; ${TAG_CONNECTIONS} connections, median of ${rounds} interleaved rounds`
          : `p50 = ${factor.toFixed(2)}× the unfiltered first page`,
    });
    return { ...row, rss, cpu };
  });
}

async function scenarioCreate(ctx: Context): Promise<Row> {
  begin(ctx);
  const r = await runLoad({
    ...loadOpts(ctx),
    url: `${ctx.service.url}${ctx.paths.create}`,
    method: 'POST',
    headers: { ...loadOpts(ctx).headers, 'Content-Type': 'application/vnd.api+json' },
    body: ctx.createBody,
  });
  return rowFrom('create auth-secret', r, ctx, {
    relativeToBaseline: true,
    target: '',
    met: undefined,
    notes: `${sizes.connections} connections`,
  });
}

async function scenarioStorm(ctx: Context): Promise<Row[]> {
  const rows: Row[] = [];
  const headers = { Authorization: ctx.auth, Accept: 'application/vnd.api+json' };
  if (ctx.baseline) {
    // The floor: what answering 1,000 requests that arrive at once costs a server that does no
    // work at all (the baseline's GET /healthz), on this machine, with this load generator.
    begin(ctx);
    const floor = await burst(
      ctx.baseline.url,
      { path: '/healthz', method: 'GET', headers: {} },
      sizes.stormRequests,
    );
    rows.push({
      scenario: `floor: ${sizes.stormRequests.toLocaleString('en-US')} requests at once to the baseline's GET /healthz`,
      rps: undefined,
      p50: floor.p50,
      p99: floor.p99,
      ratio: undefined,
      rss: ctx.sampler.mark(),
      cpu: ctx.cpu.mark(),
      target: '–',
      met: undefined,
      notes: `no work per request: parsing and answering ${sizes.stormRequests} requests in one process`,
    });
  }
  const distinctTokens = (bodies: string[]) => {
    const tokens = new Set<string>();
    for (const body of bodies) {
      try {
        tokens.add(JSON.parse(body).data.attributes.credentials.access_token as string);
      } catch {
        tokens.add('(unreadable response)');
      }
    }
    return tokens.size;
  };
  // Cold: the first refresh storm of this process, on its own secret (API.md §10.5: one provider call
  // however the burst meets a cold process). It also warms the refresh path for the timed storm below.
  const coldBefore = ctx.provider.totalCalls;
  begin(ctx);
  const cold = await burst(
    ctx.service.url,
    { path: ctx.paths.stormWarmup, method: 'POST', headers },
    sizes.stormRequests,
  );
  const coldCalls = ctx.provider.totalCalls - coldBefore;
  const coldOk = cold.statusCodes['200'] ?? 0;
  const coldTokens = distinctTokens(cold.bodies);
  rows.push({
    scenario: `refresh storm, cold: ${sizes.stormRequests.toLocaleString('en-US')} concurrent refreshes, the process's first`,
    rps: undefined,
    p50: cold.p50,
    p99: cold.p99,
    ratio: undefined,
    rss: ctx.sampler.mark(),
    cpu: ctx.cpu.mark(),
    target: '1 provider call',
    met: coldCalls === 1 && coldOk === cold.count && coldTokens === 1,
    notes:
      `${coldCalls} provider call(s); ${coldOk}/${cold.count} answered 200 with ${coldTokens} distinct access ` +
      `token(s); max ${cold.max.toFixed(0)} ms (includes the refresh path's first compilation)`,
  });
  const callsBefore = ctx.provider.totalCalls;
  begin(ctx);
  const r = await burst(
    ctx.service.url,
    { path: ctx.paths.storm, method: 'POST', headers },
    sizes.stormRequests,
  );
  const calls = ctx.provider.totalCalls - callsBefore;
  const tokens = distinctTokens(r.bodies);
  const ok = r.statusCodes['200'] ?? 0;
  const limit = sizes.providerLatencyMs + 100;
  rows.push({
    scenario: `refresh storm: ${sizes.stormRequests.toLocaleString('en-US')} concurrent refreshes of one secret`,
    rps: undefined,
    p50: r.p50,
    p99: r.p99,
    ratio: undefined,
    rss: ctx.sampler.mark(),
    cpu: ctx.cpu.mark(),
    target: `1 provider call, p99 < ${limit} ms`,
    met: calls === 1 && r.p99 < limit && ok === r.count && tokens === 1,
    notes:
      `${calls} provider call(s); ${ok}/${r.count} answered 200 ${r.errors ? `(${r.errors} errors) ` : ''}` +
      `with ${tokens} distinct access token(s); max ${r.max.toFixed(0)} ms; provider ${sizes.providerLatencyMs} ms; ` +
      'after the cold storm on another secret',
  });
  return rows;
}

async function scenarioWave(ctx: Context): Promise<Row> {
  const n = sizes.waveRows;
  const callsBefore = ctx.provider.totalCalls;
  ctx.provider.maxConcurrent = ctx.provider.inFlight;
  begin(ctx);
  const startedAt = new Date();
  // All at once: due within REFRESH_AHEAD_SECONDS (300 s) from now, as the store schedules one-hour
  // tokens (refresh_due_at = expires_at - 300 s, src/modules/auth-secrets/refresh-schedule.ts).
  await ctx.pool.query(
    `UPDATE auth_secrets SET expires_at = now() + interval '60 seconds',
                             refresh_due_at = now() - interval '240 seconds'
     WHERE workspace_id = $1`,
    [ctx.waveWorkspace],
  );
  const t0 = performance.now();
  const give_up = t0 + Math.max(3 * sizes.waveLimitSeconds, 60) * 1000;
  let done = 0;
  let failed = 0;
  while (performance.now() < give_up) {
    const { rows } = await ctx.pool.query<{ done: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE refreshed_at >= $2)::int AS done,
              count(*) FILTER (WHERE state = 'error' OR failure_count > 0)::int AS failed
       FROM auth_secrets WHERE workspace_id = $1`,
      [ctx.waveWorkspace, startedAt],
    );
    done = rows[0]?.done ?? 0;
    failed = rows[0]?.failed ?? 0;
    if (done >= n) break;
    await sleep(250);
  }
  const { rows } = await ctx.pool.query<{ last: Date | null }>(
    'SELECT max(refreshed_at) AS last FROM auth_secrets WHERE workspace_id = $1',
    [ctx.waveWorkspace],
  );
  const seconds = rows[0]?.last ? (rows[0].last.getTime() - startedAt.getTime()) / 1000 : Number.NaN;
  // The shape of the wave: when the worker started, its steady rate, and its longest pause.
  const { rows: times } = await ctx.pool.query<{ t: number }>(
    `SELECT extract(epoch FROM refreshed_at - $2::timestamptz)::float8 AS t FROM auth_secrets
     WHERE workspace_id = $1 AND refreshed_at >= $2 ORDER BY refreshed_at`,
    [ctx.waveWorkspace, startedAt],
  );
  const firstAt = times[0]?.t ?? Number.NaN;
  let longestPause = 0;
  for (let i = 1; i < times.length; i++)
    longestPause = Math.max(longestPause, (times[i]?.t ?? 0) - (times[i - 1]?.t ?? 0));
  const mid = (q: number) => times[Math.floor(q * (times.length - 1))]?.t ?? Number.NaN;
  const steadyRate = (0.8 * times.length) / (mid(0.9) - mid(0.1));
  const calls = ctx.provider.totalCalls - callsBefore;
  const maxConcurrent = ctx.provider.maxConcurrent;
  const allDone = done >= n;
  return {
    scenario: `expiry wave: ${n.toLocaleString('en-US')} secrets due at once, worker`,
    rps: allDone ? n / seconds : undefined,
    p50: undefined,
    p99: undefined,
    ratio: undefined,
    rss: ctx.sampler.mark(),
    cpu: ctx.cpu.mark(),
    target: `all in ≤ ${sizes.waveLimitSeconds} s, provider concurrency ≤ ${refreshConcurrency}`,
    met: allDone && seconds <= sizes.waveLimitSeconds && maxConcurrent <= refreshConcurrency && failed === 0,
    notes:
      `${done}/${n} renewed in ${seconds.toFixed(1)} s (req/s = renewals/s); first after ${firstAt.toFixed(1)} s, ` +
      `steady ${steadyRate.toFixed(0)}/s, longest pause ${longestPause.toFixed(1)} s; ${calls} provider calls; ` +
      `provider concurrency max ${maxConcurrent} (REFRESH_CONCURRENCY=${refreshConcurrency}); ${failed} failed`,
  };
}

async function postmasterPid(pool: pg.Pool): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  try {
    const stat = readFileSync(`/proc/${rows[0]?.pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? '?'} × ${cpus.length}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'auth-secret-bench-'));
  // Registered first, so it runs last: logs stay for a failed run or with --keep-logs.
  onCleanup('remove work dir', () => {
    if (runFailed || flags['keep-logs']) log(`logs kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  });
  const loadBefore = os.loadavg();
  log(`${quick ? 'quick' : 'full'} run; scenarios: ${[...only].join(', ')}; logs in ${workDir}`);

  ensureBuild();
  const db = await startDatabase();
  log(`PostgreSQL ${db.version} (${db.source})`);
  const pool = new pg.Pool({ connectionString: db.url, max: 3 });
  onCleanup('close seeding pool', () => pool.end());
  const cpu = new CpuAccounting();
  if (!process.env.BENCH_DATABASE_URL && !process.env.DATABASE_URL) {
    const pm = await postmasterPid(pool);
    if (pm) cpu.addRoot('postgres', pm);
  }

  const keySpec = generateKeySpec('bench');
  const ring = parseKeyRing(keySpec);
  const common = { DATABASE_URL: db.url, ENCRYPTION_KEYS: keySpec };
  const boot = JSON.parse(
    await runTsx(
      'src/cli.ts',
      ['bootstrap', '--tenant', 'bench', '--email', 'admin@bench.example'],
      { ...common, LOG_LEVEL: 'warn' },
      120_000,
    ),
  ) as Bootstrapped;

  const provider = await OAuthTestServer.start({ latencyMs: sizes.providerLatencyMs });
  onCleanup('close OAuth2 server', () => provider.close());

  const profileDir = path.join(workDir, 'profile');
  if (flags.profile) mkdirSync(profileDir);
  const service = await startChild({
    name: 'service',
    // As `npm start` runs it: compiled, with plain node.
    entry: 'dist/server.js',
    logFile: path.join(workDir, 'service.log'),
    // The flags of `npm start` (package.json), e.g. its heap limit, then the profiler's.
    nodeFlags: [
      ...startScriptNodeFlags(),
      ...(flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
    env: {
      ...common,
      ...(flags['service-node-options'] ? { NODE_OPTIONS: flags['service-node-options'] } : {}),
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      OAUTH_ALLOW_LOOPBACK_HTTP: 'true',
      REFRESH_CONCURRENCY: String(refreshConcurrency),
      // The limits stay on (their cost is part of the hot path) but far above what one client sends.
      RATE_LIMIT_PER_KEY_PER_MINUTE: '100000000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '100000000',
    },
  });
  log(`service pid ${service.pid} on ${service.url}`);
  cpu.addRoot('service', service.pid);

  const tenancy = await setUpTenancy(service.url, boot, provider);
  const ws = tenancy.workspaces;
  const ids = {
    tenantId: tenancy.tenantId,
    userId: tenancy.memberUserId,
    authClientId: tenancy.authClientId,
  };

  let seedMs = performance.now();
  const listIds = only.has('list')
    ? await bulkInsertSecrets(pool, ring, {
        ...ids,
        workspaceId: ws.list,
        count: sizes.listRows,
        namePrefix: 'listed',
        expiresAt: new Date(Date.now() + 30 * 86_400_000),
        tokens: (i) => ({
          access_token: `at-listed-${i}-${'x'.repeat(40)}`,
          refresh_token: `rt-listed-${i}`,
        }),
      })
    : [];
  if (only.has('tags')) {
    await bulkInsertSecrets(pool, ring, {
      ...ids,
      workspaceId: ws.tags,
      count: sizes.tagRows,
      namePrefix: 'tagged',
      expiresAt: new Date(Date.now() + 30 * 86_400_000),
      tokens: (i) => ({ access_token: `at-tagged-${i}-${'x'.repeat(40)}`, refresh_token: `rt-tagged-${i}` }),
      tags: (i) => ({
        env: i % 2 === 0 ? 'prod' : 'dev',
        team: `team-${i % 20}`,
        region: `r${i % 5}`,
        ...(i % (sizes.tagRows / sizes.rareTagRows) === 7 ? { owner: 'rare' } : {}),
      }),
    });
  }
  const waveGrants = only.has('wave') ? Array.from({ length: sizes.waveRows }, () => provider.grant()) : [];
  if (only.has('wave')) {
    await bulkInsertSecrets(pool, ring, {
      ...ids,
      workspaceId: ws.wave,
      count: sizes.waveRows,
      namePrefix: 'wave',
      expiresAt: new Date(Date.now() + 86_400_000),
      tokens: (i) => {
        const g = waveGrants[i] as { accessToken: string; refreshToken: string };
        return { access_token: g.accessToken, refresh_token: g.refreshToken };
      },
    });
  }
  await pool.query('ANALYZE auth_secrets');
  await pool.query('ANALYZE auth_secret_tags');
  seedMs = performance.now() - seedMs;
  const seeded = listIds.length + waveGrants.length + (only.has('tags') ? sizes.tagRows : 0);
  log(
    `seeded ${seeded} secrets in bulk in ${(seedMs / 1000).toFixed(1)} s ` +
      `(${Math.round(seeded / (seedMs / 1000))}/s)`,
  );

  const member = tenancy.member;
  const hot = await member.expect(
    201,
    'POST',
    `/v2/workspaces/${ws.hot}/secrets`,
    createSecretBody('hot', tenancy.authClientId, provider.grant(), 30 * 86_400),
  );
  const storm = await member.expect(
    201,
    'POST',
    `/v2/workspaces/${ws.hot}/secrets`,
    createSecretBody('storm', tenancy.authClientId, provider.grant(), 3600),
  );
  const stormWarmup = await member.expect(
    201,
    'POST',
    `/v2/workspaces/${ws.hot}/secrets`,
    createSecretBody('storm-warmup', tenancy.authClientId, provider.grant(), 3600),
  );
  let deepCursor = '';
  if (only.has('list')) {
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id::text AS id FROM auth_secrets WHERE workspace_id = $1 ORDER BY id OFFSET $2 LIMIT 1',
      [ws.list, sizes.deepRow - 1],
    );
    deepCursor = encodeCursor(rows[0]?.id ?? '');
  }
  const getPath = `/v2/workspaces/${ws.hot}/secrets/${hot.body.data.id}`;
  const ctx: Context = {
    service,
    baseline: undefined,
    provider,
    pool,
    sampler: new RssSampler(),
    cpu,
    auth: member.auth,
    paths: {
      get: getPath,
      workspace: `/v2/workspaces/${ws.hot}`,
      listFirst: `/v2/workspaces/${ws.list}/secrets?page[size]=${sizes.pageSize}`,
      listDeep: `/v2/workspaces/${ws.list}/secrets?page[size]=${sizes.pageSize}&page[cursor]=${deepCursor}`,
      tags: {
        none: `/v2/workspaces/${ws.tags}/secrets?page[size]=${sizes.pageSize}`,
        common: `/v2/workspaces/${ws.tags}/secrets?filter[tags.env]=prod&page[size]=${sizes.pageSize}`,
        rare: `/v2/workspaces/${ws.tags}/secrets?filter[tags.owner]=rare&page[size]=${sizes.pageSize}`,
        name: `/v2/workspaces/${ws.tags}/secrets?filter[name]=tagged-${Math.floor(sizes.tagRows / 2)}&page[size]=${sizes.pageSize}`,
      },
      create: `/v2/workspaces/${ws.create}/secrets`,
      storm: `/v2/workspaces/${ws.hot}/secrets/${storm.body.data.id}/refresh`,
      stormWarmup: `/v2/workspaces/${ws.hot}/secrets/${stormWarmup.body.data.id}/refresh`,
    },
    createBody: JSON.stringify(
      createSecretBody('created', tenancy.authClientId, { accessToken: 'at', refreshToken: 'rt' }, 3600),
    ),
    waveWorkspace: ws.wave,
    baselineRps: [],
  };

  // Sanity checks: the measured requests do what they claim.
  const got = await member.expect(200, 'GET', getPath);
  if (typeof got.body.data.attributes.credentials?.access_token !== 'string')
    throw new Error('GET did not return decrypted credentials');
  if (only.has('list')) {
    const deep = await member.expect(200, 'GET', ctx.paths.listDeep);
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id::text AS id FROM auth_secrets WHERE workspace_id = $1 ORDER BY id OFFSET $2 LIMIT 1',
      [ws.list, sizes.deepRow],
    );
    if (deep.body.data.length !== sizes.pageSize || deep.body.data[0].id !== rows[0]?.id)
      throw new Error('the deep cursor does not land where expected');
  }

  if (only.has('tags')) {
    const expected = { none: sizes.pageSize, common: sizes.pageSize, rare: sizes.rareTagRows, name: 1 };
    for (const [which, n] of Object.entries(expected) as [keyof Context['paths']['tags'], number][]) {
      const page = await member.expect(200, 'GET', ctx.paths.tags[which]);
      if (page.body.data.length !== n)
        throw new Error(`tags: the ${which} page has ${page.body.data.length} secrets, not ${n}`);
    }
  }

  const docFile = path.join(workDir, 'baseline-document.json');
  writeFileSync(docFile, got.text);
  if (!flags.profile) {
    ctx.baseline = await startChild({
      name: 'baseline',
      entry: 'bench/baseline-server.ts',
      logFile: path.join(workDir, 'baseline.log'),
      env: { DATABASE_URL: db.url, BASELINE_DOCUMENT_FILE: docFile, NODE_ENV: 'production' },
    });
    ctx.sampler.watch('baseline', ctx.baseline.pid);
    cpu.addRoot('baseline', ctx.baseline.pid);
    const check = await fetch(`${ctx.baseline.url}${getPath}`);
    if (check.status !== 200 || (await check.text()) !== got.text)
      throw new Error('baseline answers wrongly');
  }
  ctx.sampler.watch('service', service.pid);
  ctx.sampler.start();
  onCleanup('stop RSS sampler', () => ctx.sampler.stop());
  cpu.start();
  onCleanup('stop CPU sampler', () => cpu.stop());
  const setupSeconds = (performance.now() - t0) / 1000;
  log(`set up in ${setupSeconds.toFixed(1)} s; measuring`);

  if (flags.hold) {
    // For exploring by hand: everything is up and seeded; nothing is measured.
    const seconds = Math.min(Number(flags.hold) || 0, 3600);
    process.stdout.write(
      `${JSON.stringify({ service: service.url, baseline: ctx.baseline?.url, authorization: ctx.auth, paths: ctx.paths, servicePid: service.pid, databaseUrl: db.url }, null, 2)}\n`,
    );
    if (flags.profile) log(`CPU profile of the service will be written to ${profileDir}`);
    log(`holding for ${seconds} s (Ctrl-C stops everything)`);
    await sleep(seconds * 1000);
    return;
  }

  const rows: Row[] = [];
  const add = (row: Row | undefined) => {
    if (!row) return;
    rows.push(row);
    log(
      `${row.scenario}: ${row.rps?.toFixed(0) ?? '–'} req/s, p50 ${row.p50?.toFixed(1) ?? '–'} ms, ` +
        `p99 ${row.p99?.toFixed(1) ?? '–'} ms ${row.notes}`,
    );
  };
  add(await measureBaseline(ctx, 'before'));
  const window = { from: profileClockUs(), to: 0 };
  if (only.has('get')) for (const r of await scenarioGet(ctx)) add(r);
  if (only.has('ladder')) for (const r of await scenarioLadder(ctx)) add(r);
  add(await measureBaseline(ctx, 'middle'));
  if (only.has('list')) for (const r of await scenarioList(ctx)) add(r);
  if (only.has('tags')) for (const r of await scenarioTags(ctx)) add(r);
  if (only.has('create')) add(await scenarioCreate(ctx));
  window.to = profileClockUs();
  add(await measureBaseline(ctx, 'after'));
  if (only.has('storm')) for (const r of await scenarioStorm(ctx)) add(r);
  if (only.has('wave')) add(await scenarioWave(ctx));

  // Ratios against the median of the run's baseline measurements (before, middle, after).
  const base = medianBaseline(ctx);
  for (const row of rows) {
    if (!row.relativeToBaseline || row.rps === undefined) continue;
    row.ratio = row.rps / base;
    if (row.minRatio !== undefined && row.met !== undefined) row.met = row.met && row.ratio >= row.minRatio;
  }

  const overall = ctx.sampler.overall();
  const rssOk = Object.values(overall).every((b) => b < 300 * MB);
  rows.push({
    scenario: 'resident memory, whole run',
    rss: overall,
    cpu: {},
    target: '< 300 MB per process',
    met: rssOk,
    notes: '',
  });

  let profileSummary = '';
  if (flags.profile) {
    await service.stop(30_000);
    const stages = await measureStages({
      databaseUrl: db.url,
      ring,
      authorization: member.auth,
      workspaceId: ws.hot,
      secretId: hot.body.data.id,
      ...(only.has('list') ? { listWorkspaceId: ws.list } : {}),
      iterations: quick ? 1000 : 3000,
    });
    profileSummary = `${summarizeProfile(profileDir, window)}\n\n${stages}`;
  }

  const loadAfter = os.loadavg();
  const totalSeconds = (performance.now() - t0) / 1000;
  const info = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: machine(),
    postgres: `${db.version} (${db.source})`,
    loadAverageBefore: loadBefore.map((l) => Number(l.toFixed(2))),
    loadAverageAfter: loadAfter.map((l) => Number(l.toFixed(2))),
    baselineRps: ctx.baselineRps.map((r) => Math.round(r)),
    sizes: { ...sizes, refreshConcurrency },
    setupSeconds: Number(setupSeconds.toFixed(1)),
    totalSeconds: Number(totalSeconds.toFixed(1)),
  };
  const table = markdownTable(rows);
  const drift =
    ctx.baselineRps.length >= 2
      ? Math.max(...ctx.baselineRps) / Math.min(...ctx.baselineRps) - 1
      : Number.NaN;
  const md = [
    `Run ${info.date} (${info.mode}), ${info.machine.cpu}, ${info.machine.memoryGiB} GiB, ${info.machine.kernel}, Node ${info.machine.node}, PostgreSQL ${info.postgres}.`,
    `Load average (1/5/15 min) before ${info.loadAverageBefore.join(' / ')}, after ${info.loadAverageAfter.join(' / ')}; ` +
      `baseline req/s before/middle/after: ${info.baselineRps.join(' / ')}${Number.isNaN(drift) ? '' : ` (spread ${(drift * 100).toFixed(1)} %; ratios use the median)`}.`,
    `Set-up ${info.setupSeconds} s, whole run ${info.totalSeconds} s.`,
    '',
    table,
    ...(profileSummary ? ['', profileSummary] : []),
  ].join('\n');
  const resultsDir = path.join(repoRoot, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify({ ...info, rows }, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'latest.md'), `${md}\n`);
  process.stdout.write(`\n${md}\n\n`);
  if (drift > 0.2)
    log(`WARNING: the baseline's measurements differ by ${(drift * 100).toFixed(0)} %: noisy machine, rerun`);
}

let interrupted = false;
let runFailed = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping everything`);
    runCleanups(log).finally(() => process.exit(130));
  });
}

main()
  .then(async () => {
    await runCleanups(log);
    if (!interrupted) process.exit(0);
  })
  .catch(async (err: unknown) => {
    // Ctrl-C stops the load generator under a running measurement: the signal handler is already
    // cleaning up and exits with 130; this is no failure to report.
    if (interrupted) return;
    runFailed = true;
    log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await runCleanups(log);
    process.exit(1);
  });
