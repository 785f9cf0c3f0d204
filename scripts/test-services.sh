#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis for the tests, on 127.0.0.1 and free ports.
#
#   eval "$(scripts/test-services.sh start)"   # exports TEST_DATABASE_URL, TEST_REDIS_URL,
#                                               # TEST_SERVICES_DIR
#   npm test
#   scripts/test-services.sh stop               # uses $TEST_SERVICES_DIR (or pass the dir)
#
# Needs the Debian packages `postgresql` and `redis-server` (binaries are used directly; no
# system service is started). As root, PostgreSQL runs as the `postgres` user.
# Only the export lines go to stdout; progress and errors go to stderr.
set -euo pipefail

log() { echo "test-services: $*" >&2; }
die() {
  log "$*"
  exit 1
}

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$dir" && -x "$dir/pg_ctl" ]] || die "PostgreSQL not found in /usr/lib/postgresql (apt-get install postgresql)"
  echo "$dir"
}

# Runs a PostgreSQL tool as the postgres user when we are root (PostgreSQL refuses root).
as_pg_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start_postgres() {
  local dir=$1 pgbin port attempt
  pgbin=$(pg_bin_dir)
  mkdir -p "$dir/pg"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/pg"
  as_pg_user "$pgbin/initdb" -D "$dir/pg/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/pg/initdb.log" 2>&1 ||
    die "initdb failed: $(cat "$dir/pg/initdb.log")"
  # A port found free can be taken before the server binds it: retry with another.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_pg_user "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
      -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
      echo "$port" >"$dir/pg.port"
      log "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
      return
    fi
    log "PostgreSQL did not start on port $port (attempt $attempt)"
  done
  die "PostgreSQL failed to start: $(tail -n 20 "$dir/pg/server.log" 2>/dev/null)"
}

start_redis() {
  local dir=$1 port attempt i
  command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
  mkdir -p "$dir/redis"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
      --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" >/dev/null
    # --daemonize exits 0 even when the port is taken, and then another Redis may answer
    # the ping: only accept the server whose working directory is ours.
    for i in $(seq 1 50); do
      if [[ $(redis-cli -h 127.0.0.1 -p "$port" config get dir 2>/dev/null | tail -n 1) == "$dir/redis" ]]; then
        echo "$port" >"$dir/redis.port"
        log "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
        return
      fi
      # Ours died (port taken): no point waiting.
      if [[ -f "$dir/redis/redis.log" ]] && grep -q 'Could not create server TCP listening socket' "$dir/redis/redis.log"; then
        break
      fi
      sleep 0.1
    done
    log "Redis did not start on port $port (attempt $attempt)"
    stop_redis "$dir"
    rm -f "$dir/redis/redis.log"
  done
  die "Redis failed to start"
}

stop_postgres() {
  local dir=$1
  [[ -f "$dir/pg/data/postmaster.pid" ]] || return 0
  as_pg_user "$(pg_bin_dir)/pg_ctl" -D "$dir/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
    log "could not stop PostgreSQL in $dir/pg/data"
}

stop_redis() {
  local dir=$1 pid i
  [[ -f "$dir/redis/redis.pid" ]] || return 0
  pid=$(cat "$dir/redis/redis.pid")
  # Only signal the process if it is still the redis-server we started.
  if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q redis-server; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/redis/redis.pid"
}

cmd_start() {
  local dir
  # Under /tmp so that the postgres user can traverse every parent directory.
  dir=$(mktemp -d /tmp/test-services.XXXXXX)
  chmod 755 "$dir"
  # Do not leave half-started servers behind when something fails.
  trap 'cmd_stop "$dir"' EXIT
  start_postgres "$dir"
  start_redis "$dir"
  trap - EXIT
  echo "export TEST_SERVICES_DIR=$dir"
  echo "export TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$(cat "$dir/pg.port")/postgres"
  echo "export TEST_REDIS_URL=redis://127.0.0.1:$(cat "$dir/redis.port")"
}

cmd_stop() {
  local dir=${1:-${TEST_SERVICES_DIR:-}}
  [[ -n "$dir" ]] || die "usage: $0 stop [DIR] (or set TEST_SERVICES_DIR)"
  [[ "$dir" == /tmp/test-services.* && -d "$dir" ]] || die "not a test-services directory: $dir"
  stop_postgres "$dir"
  stop_redis "$dir"
  rm -rf "$dir"
  log "stopped and removed $dir"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop "${2:-}" ;;
*) die "usage: $0 start | stop [DIR]" ;;
esac
