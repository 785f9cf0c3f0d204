#!/usr/bin/env bash
# The production install recipe of the README, checked end to end in a temporary copy of this
# checkout: `npm ci && npm run build && npm prune --omit=dev --omit=optional`, then no build or test tooling may be
# left in node_modules, and `npm start` must serve offline (in a network namespace of its own when
# `unshare` allows it) on the embedded default: /readyz, a bootstrap, then a workspace, an
# auth-client and a secret created and read back with the API key. Run by .ci/run; usable by hand.
# Prints the node_modules size before and after the prune. Everything it starts, it stops.
set -euo pipefail

if [[ "${1:-}" == serve ]]; then
  # Second stage, inside the network namespace: only loopback exists.
  dir=$2
  if [[ "${3:-}" == isolated ]]; then ip link set lo up; fi
  cd "$dir"
  port=3987
  base="http://127.0.0.1:$port"
  export PORT=$port HOST=127.0.0.1 DATA_DIR="$dir/data" LOG_LEVEL=warn
  npm start >"$dir/server.log" 2>&1 &
  npm_pid=$!
  descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
  server_pid() {
    local p
    for p in $(descendants "$npm_pid"); do
      if [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == node*dist/server.js* ]]; then echo "$p"; fi
    done
  }
  stop_server() {
    local pid
    pid=$(server_pid)
    if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 150); do kill -0 "$npm_pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$npm_pid" "$pid" 2>/dev/null || true
  }
  trap 'stop_server; echo "--- server log"; tail -n 30 "$dir/server.log"' EXIT
  ready=''
  for _ in $(seq 1 240); do
    if curl -sf "$base/readyz" >/dev/null; then ready=yes; break; fi
    kill -0 "$npm_pid" 2>/dev/null || break
    sleep 0.25
  done
  [[ -n "$ready" ]] || { echo 'the service did not become ready' >&2; exit 1; }
  echo "ready: $(curl -s "$base/readyz")"
  # What runs: plain node on compiled code, no TypeScript loader and no esbuild service.
  tree=$(for p in $(descendants "$npm_pid"); do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done)
  echo "process tree under npm start:"; sed 's/^/  /' <<<"$tree"
  if grep -Eq 'tsx|esbuild' <<<"$tree"; then echo 'tsx/esbuild in the process tree' >&2; exit 1; fi

  boot=$(npm run --silent cli -- bootstrap --tenant 'Lean CI' --email admin@lean.test)
  field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s));if(v===undefined)process.exit(1);console.log(v)})' "$1"; }
  tenant=$(field tenant_id <<<"$boot")
  key=$(field api_key <<<"$boot")
  auth=(-u "admin@lean.test:$key" -H 'Content-Type: application/vnd.api+json')
  post() { curl -sf "${auth[@]}" "$base$1" -d "$2"; }
  ws=$(post "/v2/tenants/$tenant/workspaces" '{"data":{"type":"workspace","attributes":{"name":"Lean"}}}' | field data.id)
  client=$(post "/v2/tenants/$tenant/auth-clients" \
    '{"data":{"type":"auth-client","attributes":{"name":"Example","auth_type":"oauth2","oauth2":{"client_id":"id","client_secret":"lean-client-secret","token_url":"https://oauth.example.test/token"}}}}' |
    field data.id)
  secret=$(post "/v2/workspaces/$ws/secrets" \
    '{"data":{"type":"auth-secret","attributes":{"name":"Lean secret","state":"ready","credentials":{"access_token":"lean-access","refresh_token":"lean-refresh","expires_in":"3599"}},"relationships":{"auth-client":{"data":{"type":"auth-client","id":"'"$client"'"}}}}}' |
    field data.id)
  name=$(curl -sf "${auth[@]}" "$base/v2/workspaces/$ws/secrets/$secret" | field data.attributes.name)
  [[ "$name" == 'Lean secret' ]] || { echo "read back: $name" >&2; exit 1; }
  echo "bootstrap → workspace → auth-client → secret → GET: ok (secret $secret)"
  echo "server RSS: $(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$(server_pid)/status") MB"
  trap - EXIT
  stop_server
  exit 0
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/lean-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
# The checkout as a fresh clone has it: tracked and untracked-but-not-ignored files only.
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work" 2>/dev/null ||
  tar --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./.git -cf - . | tar -xf - -C "$work"
cd "$work"

start=$SECONDS
npm ci --no-audit --no-fund --prefer-offline --loglevel=error
npm run build --silent
echo "node_modules after npm ci: $(du -sh node_modules | cut -f1)"
# --omit=optional as well: @prisma/client declares `prisma` and `typescript` optional peers, which
# --omit=dev alone keeps (npm marks them devOptional).
npm prune --omit=dev --omit=optional --no-audit --no-fund --loglevel=error
echo "node_modules after npm prune --omit=dev --omit=optional: $(du -sh node_modules | cut -f1)"
left=()
for tool in typescript tsx esbuild @esbuild @biomejs mocha prisma @prisma/schema-engine-wasm supertest autocannon; do
  # A pruned scope can leave its empty directory behind: only a directory with content counts.
  if [[ -n "$(ls -A "node_modules/$tool" 2>/dev/null)" ]]; then left+=("$tool"); fi
done
if [[ ${#left[@]} -gt 0 ]]; then
  echo "dev tooling left after the prune: ${left[*]}" >&2
  exit 1
fi
echo "no TypeScript, tsx, esbuild, Biome, mocha or Prisma CLI left (install took $((SECONDS - start)) s)"

# Offline: a network namespace with loopback only, where unshare is allowed (root in CI).
if unshare -n true 2>/dev/null && command -v ip >/dev/null; then
  unshare -n -- bash "$work/scripts/lean-install-check.sh" serve "$work" isolated
else
  echo 'unshare -n is not available here: starting without network isolation' >&2
  bash "$work/scripts/lean-install-check.sh" serve "$work"
fi
echo "lean production install: ok in $((SECONDS - start)) s"
