// `npm run build`: compiles src/ to dist/ (tsc -p tsconfig.build.json) and stamps dist/ with a
// hash of what it was compiled from. `node scripts/build.mjs --if-stale` runs before `npm start`,
// `npm run worker` and `npm run cli`: it does nothing when the stamp matches src/, rebuilds when it
// does not and the compiler is installed (a development checkout), and refuses to start otherwise
// (a lean production install, where TypeScript was pruned): a stale dist/ is never run by mistake.
//
// Plain JavaScript with Node built-ins only: it must run where neither tsx nor TypeScript exist.
// The stamp is a content hash rather than file times, which a checkout or a copy changes freely.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(root, 'dist');
const stampPath = join(distDir, 'build-stamp.json');
// Everything the emitted JavaScript depends on: the sources (the generated Prisma client included)
// and the compiler settings.
const INPUT_DIRS = ['src'];
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json'];

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

/** sha256 over the relative path and the content of every input file, in a fixed order. */
export function sourceHash() {
  const files = [
    ...INPUT_DIRS.flatMap((d) => filesUnder(join(root, d))),
    ...INPUT_FILES.map((f) => join(root, f)).filter((f) => existsSync(f)),
  ]
    .map((f) => relative(root, f).split(sep).join('/'))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return undefined;
  }
}

function compilerPath() {
  try {
    return createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

function build() {
  const tsc = compilerPath();
  if (!tsc) {
    process.stderr.write(
      'build: TypeScript is not installed (a production install without dev dependencies). ' +
        'Build where it is: `npm ci && npm run build && npm prune --omit=dev --omit=optional` (README, "Production install").\n',
    );
    return 1;
  }
  // Hashed before compiling: a file edited during the build leaves a stamp that no longer matches.
  const hash = sourceHash();
  // From scratch, so the JavaScript of a deleted source file does not linger in dist/.
  rmSync(distDir, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    // tsc reports on stdout; keep stdout free for the output of `npm run --silent cli`.
    stdio: ['ignore', 2, 2],
  });
  if (result.status !== 0) {
    process.stderr.write('build: tsc failed (above); dist/ is not stamped and will not be started.\n');
    return result.status ?? 1;
  }
  mkdirSync(distDir, { recursive: true });
  writeFileSync(
    stampPath,
    `${JSON.stringify({ sourceHash: hash, builtAt: new Date().toISOString() }, null, 2)}\n`,
  );
  return 0;
}

function buildIfStale() {
  const stamp = readStamp();
  if (stamp?.sourceHash === sourceHash()) return 0;
  const why = stamp ? 'src/ changed since dist/ was built' : 'dist/ has not been built';
  if (!compilerPath()) {
    process.stderr.write(
      `build: ${why}, and TypeScript is not installed to rebuild it. Refusing to start stale code: ` +
        'run `npm ci && npm run build && npm prune --omit=dev --omit=optional` again (README, "Production install").\n',
    );
    return 1;
  }
  process.stderr.write(`build: ${why}; building (npm run build)…\n`);
  return build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = process.argv.includes('--if-stale') ? buildIfStale() : build();
}
