// The fuzz's randomness: a seeded PRNG (FUZZ_SEED to replay a run, FUZZ_ONLY one request) and the
// pools of awkward values the generators draw from.

export const DEFAULT_SEED = 0x5eed_2026;

export function seedFromEnv(): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === 'random') return Math.floor(Math.random() * 0xffffffff) >>> 0;
  if (raw !== undefined && raw !== '') return Number(raw) >>> 0;
  return DEFAULT_SEED;
}
export const SEED = seedFromEnv();
export const ONLY = process.env.FUZZ_ONLY !== undefined ? Number(process.env.FUZZ_ONLY) : undefined;

// ---------------------------------------------------------------------------------------------
// PRNG

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** 0 … n-1 */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
  }
  /** Printable ASCII, quotes and backslashes included. */
  ascii(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x20 + this.int(0x5f));
    return s;
  }
}

/** Each request draws from its own stream, so it can be regenerated alone (FUZZ_ONLY). */
export const rngFor = (index: number) => new Rng((SEED ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);

// ---------------------------------------------------------------------------------------------
// Value pools

export const UNICODE_EDGES = [
  '😀',
  '\u202Eevil\u202C',
  'a\u200Db\u200B',
  'e\u0301\u0301\u0301',
  '\uFEFFbom',
  '\uD800',
  'x\uDFFFy',
  '\uDBFF\uDFFF',
  '\uFFFE\uFFFF',
  '\u2028\u2029',
  '𝕳𝖊𝖑𝖑𝖔',
  'ﷺ',
  '\u0085\u00A0',
  'İıß',
  '\u0001\u001F\u007F',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
];
export const SQLISH = [
  "'; DROP TABLE auth_secrets; --",
  '" OR 1=1 --',
  "' OR '1'='1",
  '$where',
  '{"$gt":""}',
  '%',
];
/** Raw path segments (sent as they are: nobody on the way normalises dot segments). */
export const TRAVERSALS = [
  '..',
  '.',
  '../..',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2f',
  '..\\..\\windows',
  '....//',
  '.%2e',
  '%c0%ae%c0%ae%c0%af',
  '..%00',
  '..%252f..%252f',
];
export const PCT_GARBAGE = [
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%C0%AF',
  '%00',
  '%FF%FE',
  '%u0041',
  '%%',
  '%2',
  '%ED%A0%80',
];

export const JSONAPI = 'application/vnd.api+json';

/** A path segment or query component: unreserved characters kept, everything else percent-encoded. */
export function encodeComponent(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9._~-]$/.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0) as number;
      // A lone surrogate has no UTF-8 form: send its (invalid) three-byte encoding.
      const bytes =
        cp >= 0xd800 && cp <= 0xdfff
          ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
          : [...Buffer.from(ch, 'utf8')];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    }
  }
  return out;
}

/** "filter[user]" with each bracket raw or percent-encoded (both are accepted, API.md §1). */
export function encodeKey(key: string, rng: Rng): string {
  return key.replace(/[[\]]/g, (b) => rng.pick(b === '[' ? ['[', '%5B', '%5b'] : [']', '%5D', '%5d']));
}

export function randomJson(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 8)) {
    case 0:
      return rng.ascii(rng.between(0, 20));
    case 1:
      return rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1]);
    case 2:
      return rng.pick([true, false]);
    case 3:
      return null;
    case 4:
      return rng.pick(UNICODE_EDGES);
    case 5:
      return rng.pick(SQLISH);
    case 6:
      return [randomJson(rng, depth + 1), randomJson(rng, depth + 1)];
    default:
      return { [rng.ascii(5)]: randomJson(rng, depth + 1) };
  }
}

export const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
export const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
export function deepValue(n: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = i % 2 === 0 ? { d: v } : [v];
  return v;
}
