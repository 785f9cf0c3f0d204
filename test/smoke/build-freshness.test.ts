// `npm start`, `npm run worker` and `npm run cli` run the compiled dist/ with plain node, after
// `scripts/build.mjs --if-stale`: a dist/ that does not match src/ is rebuilt where TypeScript is
// installed and refused where it is not (a lean production install). Checked on a small project of
// its own (the real build costs seconds of CPU), with the real script and the real compiler.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/processes.js';

const TSCONFIG_BUILD = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    types: [],
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
};

function buildScript(dir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build.mjs'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the build and its staleness guard (scripts/build.mjs)', function () {
  this.timeout(120_000);
  let dir: string;
  const file = (rel: string) => path.join(dir, rel);

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'build-freshness-'));
    mkdirSync(file('scripts'));
    mkdirSync(file('src'));
    cpSync(path.join(repoRoot, 'scripts', 'build.mjs'), file('scripts/build.mjs'));
    writeFileSync(file('tsconfig.json'), '{}\n');
    writeFileSync(file('tsconfig.build.json'), JSON.stringify(TSCONFIG_BUILD));
    writeFileSync(file('src/main.ts'), 'export const answer: number = 1;\n');
    writeFileSync(file('src/old.ts'), 'export const old = true;\n');
    symlinkSync(path.join(repoRoot, 'node_modules'), file('node_modules'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--if-stale builds a checkout that was never built, and stamps dist/ with the sources’ hash', () => {
    const run = buildScript(dir, '--if-stale');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /dist\/ has not been built; building/);
    assert.equal(run.stdout, '', 'stdout stays free for `npm run --silent cli` output');
    assert.match(readFileSync(file('dist/main.js'), 'utf8'), /answer = 1/);
    const stamp = JSON.parse(readFileSync(file('dist/build-stamp.json'), 'utf8'));
    assert.match(stamp.sourceHash, /^[0-9a-f]{64}$/);
  });

  it('--if-stale does nothing while dist/ matches src/', () => {
    const before = readFileSync(file('dist/build-stamp.json'), 'utf8');
    const run = buildScript(dir, '--if-stale');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.equal(readFileSync(file('dist/build-stamp.json'), 'utf8'), before);
  });

  it('rebuilds from scratch after a source changed: new code, and nothing of a deleted file', () => {
    writeFileSync(file('src/main.ts'), 'export const answer: number = 2;\n');
    rmSync(file('src/old.ts'));
    const run = buildScript(dir, '--if-stale');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /src\/ changed since dist\/ was built; building/);
    assert.match(readFileSync(file('dist/main.js'), 'utf8'), /answer = 2/);
    assert.equal(existsSync(file('dist/old.js')), false);
  });

  it('a build that does not type-check is not stamped, so it is never started', () => {
    writeFileSync(file('src/main.ts'), 'export const answer: number = "two";\n');
    const run = buildScript(dir, '--if-stale');
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /tsc failed/);
    assert.equal(existsSync(file('dist/build-stamp.json')), false);
    writeFileSync(file('src/main.ts'), 'export const answer: number = 3;\n');
    assert.equal(buildScript(dir).status, 0);
  });

  it('without TypeScript (dev dependencies pruned), a stale dist/ is refused, not run', () => {
    rmSync(file('node_modules'));
    try {
      assert.equal(buildScript(dir, '--if-stale').status, 0, 'a current build still starts');
      writeFileSync(file('src/main.ts'), 'export const answer: number = 4;\n');
      const run = buildScript(dir, '--if-stale');
      assert.equal(run.status, 1);
      assert.match(run.stderr, /src\/ changed since dist\/ was built, and TypeScript is not installed/);
      assert.match(run.stderr, /npm ci && npm run build && npm prune --omit=dev --omit=optional/);
      assert.match(readFileSync(file('dist/main.js'), 'utf8'), /answer = 3/, 'dist/ left as it was');
    } finally {
      symlinkSync(path.join(repoRoot, 'node_modules'), file('node_modules'));
    }
  });
});

describe('package.json: the entry points run compiled code with plain node', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
  };

  for (const [script, entry] of [
    ['start', 'dist/server.js'],
    ['worker', 'dist/worker.js'],
    ['cli', 'dist/cli.js'],
  ] as const) {
    it(`npm run ${script}: node ${entry}, after the staleness guard`, () => {
      assert.match(pkg.scripts[script] ?? '', new RegExp(`^node (--[\\w-]+(=\\S+)? )*${entry}$`));
      assert.equal(pkg.scripts[`pre${script}`], 'node scripts/build.mjs --if-stale');
    });
  }

  it('needs no TypeScript tooling at run time', () => {
    for (const tool of ['tsx', 'typescript', 'prisma', '@prisma/schema-engine-wasm', 'esbuild']) {
      assert.equal(pkg.dependencies[tool], undefined, `${tool} is a run-time dependency`);
    }
  });
});
