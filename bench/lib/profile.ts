// Summarises the service's CPU profile (node --cpu-prof) by where the time went: self time per
// category of code, native frames (JSON, regexps, builtins) charged to the JavaScript that called
// them. Async functions break call stacks, so "inclusive" time of our own stages would be
// incomplete; self time per category is exact.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const CATEGORIES: [string, RegExp][] = [
  ['authentication (src/auth)', /\/src\/auth\//],
  ['permission lookup (src/permissions)', /\/src\/permissions\//],
  ['rate limits (src/security, rate-limiter-flexible)', /\/src\/security\/|rate-limiter-flexible/],
  ['crypto (src/crypto, node:crypto)', /\/src\/crypto\/|node:internal\/crypto/],
  ['serialization (ts-japi, src/http/jsonapi)', /ts-japi|\/src\/http\/jsonapi\//],
  ['request logging (pino, src/observability)', /\/pino|\/src\/observability\//],
  ['validation (ajv)', /\/ajv|\/src\/http\/validation\//],
  ['Prisma client + query compiler', /@prisma\/client|\/src\/generated\/|@prisma\/client-runtime|wasm:\/\//],
  [
    'Prisma pg adapter + pg driver',
    /@prisma\/adapter-pg|@prisma\/driver-adapter-utils|\/pg\/|\/pg-protocol\/|\/pg-pool\/|\/pg-types\//,
  ],
  [
    'Express (router, body parser)',
    /\/express\/|\/router\/|body-parser|raw-body|path-to-regexp|\/finalhandler\//,
  ],
  ['auth-secret module + refresh', /\/src\/modules\/|\/src\/refresh\//],
  ['other service code (src/)', /\/src\//],
  ['node http/net/streams', /node:(internal\/)?(http|_http|net|stream|streams|events|timers|buffer|url)/],
  ['other node internals', /^node:/],
  ['other node_modules', /node_modules/],
];

function categoryOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8/native (unattributed)';
  for (const [name, re] of CATEGORIES) if (re.test(url)) return name;
  return url === '' ? '' : 'other';
}

/** Now on the clock V8 stamps profiles with (CLOCK_MONOTONIC, µs), the same in every process. */
export const profileClockUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** `window`: only samples taken between these profileClockUs() readings count. */
export function summarizeProfile(dir: string, window?: { from: number; to: number }): string {
  // One file per thread (tsx's loader runs in a worker thread): the main thread's is the largest.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f, size: statSync(path.join(dir, f)).size }))
    .sort((a, b) => b.size - a.size);
  if (files.length === 0) return '_no CPU profile was written_';
  const profile = JSON.parse(readFileSync(path.join(dir, files[0]?.f as string), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  // A frame without a script (JSON.stringify, RegExp, a builtin) is charged to its nearest caller that has one.
  const category = (id: number): string => {
    const known = cache.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id) as ProfileNode;
    let result = categoryOf(node.callFrame.url, node.callFrame.functionName);
    if (result === '') {
      const p = parent.get(id);
      result =
        p === undefined || byId.get(p)?.callFrame.functionName === '(root)'
          ? 'V8/native (unattributed)'
          : category(p);
    }
    cache.set(id, result);
    return result;
  };
  const selfByCategory = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (window && (at < window.from || at > window.to)) return;
    const node = byId.get(id) as ProfileNode;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    busy += us;
    const c = category(id);
    selfByCategory.set(c, (selfByCategory.get(c) ?? 0) + us);
    const where = node.callFrame.url
      .replace(/^.*node_modules\//, '')
      .replace(/^file:\/\/.*\/(src|bench)\//, '$1/');
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + us);
  });
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)} %`;
  const lines = [
    `CPU profile of the service process${window ? ' during the measured scenarios' : ''}: ` +
      `${(busy / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle.`,
    '',
    '| where the service spent its CPU (self time) | share |',
    '|---|--:|',
    ...[...selfByCategory.entries()].sort((a, b) => b[1] - a[1]).map(([c, us]) => `| ${c} | ${pct(us)} |`),
    '',
    '| hottest functions (self time) | share |',
    '|---|--:|',
    ...[...selfByFunction.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([f, us]) => `| \`${f.replaceAll('|', '\\|')}\` | ${pct(us)} |`),
  ];
  return lines.join('\n');
}
