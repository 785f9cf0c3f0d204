// `npm install` / `npm ci` (postinstall): generates the Prisma client into src/generated and
// compiles dist/, so that `npm install && npm start` works on a fresh clone. Both need dev
// dependencies (the prisma CLI, TypeScript). An install without them (`npm ci --omit=dev`, or
// `npm install` after a prune) skips them and keeps the dist/ already built; the
// start then checks that it is current (scripts/build.mjs --if-stale).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installed = (specifier) => {
  try {
    createRequire(join(root, 'package.json')).resolve(specifier);
    return true;
  } catch {
    return false;
  }
};
const run = (args) =>
  spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }).status ?? 1;

if (!installed('prisma/package.json') || !installed('typescript/package.json')) {
  const built = existsSync(join(root, 'dist', 'build-stamp.json'));
  process.stderr.write(
    built
      ? 'postinstall: dev dependencies absent; keeping the existing build in dist/.\n'
      : 'postinstall: dev dependencies absent and dist/ not built: `npm start` will refuse. ' +
          'Production install: `npm ci && npm run build && npm prune --omit=dev --omit=optional` (README).\n',
  );
  process.exit(0);
}
// prisma generate never uses the native schema engine, which cannot be downloaded here: any
// existing file satisfies its check.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= '/bin/true';
const prismaCli = createRequire(join(root, 'package.json')).resolve('prisma/build/index.js');
let status = run([prismaCli, 'generate']);
if (status === 0) status = run([join(root, 'scripts', 'build.mjs')]);
process.exit(status);
