// Dependencies point down: the HTTP layer (src/http/, the routers, app.ts) may import everything,
// but the layers it is built on must not import from it, or they could not be used without it
// (the worker and the admin command line run no HTTP server) and HTTP details would leak into
// rules and storage. Checked on the source text, so it needs no build.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'mocha';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Folders of src/ below the HTTP layer: nothing in them may import from src/http/. */
const BELOW_HTTP = [
  'auth',
  'config',
  'crypto',
  'db',
  'errors',
  'permissions',
  'redis',
  'refresh',
  'webhooks',
];

/**
 * A router is a route table (paths, access rules, handlers): it is part of the HTTP layer
 * wherever it lives, as src/refresh/refresh-router.ts does beside the refresh service it serves.
 */
const isRouter = (file: string) => file.endsWith('-router.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

// import … from '…', export … from '…', import '…', import('…')
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** The src/-relative paths a file imports (relative specifiers only; packages are not layers). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIER)]
    .map((m) => m[1] as string)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) =>
      relative(SRC, resolve(dirname(file), spec))
        .split(sep)
        .join('/'),
    );
}

const layerOf = (file: string) => relative(SRC, file).split(sep)[0] ?? '';

describe('architecture: import direction', () => {
  const files = sourceFiles(SRC);

  it('finds the layers it checks, and the imports in them (the check cannot pass on nothing)', () => {
    for (const layer of BELOW_HTTP) {
      const inLayer = files.filter((f) => layerOf(f) === layer);
      assert.ok(inLayer.length > 0, `src/${layer}/ has no .ts files: update BELOW_HTTP`);
    }
    const mountRoutes = files.find((f) => f.endsWith(join('http', 'mount-routes.ts')));
    assert.ok(mountRoutes && importsOf(mountRoutes).includes('http/route-table.js'));
  });

  it(`nothing in src/{${BELOW_HTTP.join(',')}}/ imports from src/http/ (routers excepted)`, () => {
    const violations = files
      .filter((f) => BELOW_HTTP.includes(layerOf(f)) && !isRouter(f))
      .flatMap((f) =>
        importsOf(f)
          .filter((target) => target.startsWith('http/'))
          .map((target) => `src/${relative(SRC, f).split(sep).join('/')} imports src/${target}`),
      );
    assert.deepEqual(violations, []);
  });
});
