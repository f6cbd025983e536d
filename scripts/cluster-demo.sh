#!/usr/bin/env bash
# scripts/cluster-demo.sh - profiled as a cluster on this machine, in one
# command: a throwaway PostgreSQL (Debian's package, scripts/pg-tmp.sh) in a
# temporary directory, N profiled nodes on it and nginx in front of them
# with the shipped configuration (contrib/nginx-profiled.conf), all on
# 127.0.0.1.  Loads the demo tenant (data/demo-tenant.json, as `make run`
# does), prints the URL and a ready-to-use token and curl line, and stops
# everything (nodes, nginx, PostgreSQL; the directory is removed) on Ctrl-C,
# on SIGTERM and when its terminal goes away (SIGHUP).
#
#   scripts/cluster-demo.sh [--nodes N] [--port PORT] [--smoke] [--keep]
#
#   --nodes N    profiled nodes (default 3, at most 16)
#   --port PORT  nginx's port on 127.0.0.1 (default 8080; 0 = a free one)
#   --smoke      once everything is up, read the demo profile through nginx,
#                print the answer's status and stop (exit 0 only on 200)
#   --keep       keep the directory (logs, database) after stopping
#
# Logs: DIR/node-K.log, DIR/nginx/error.log, DIR/pg/server.log (DIR printed).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODES=3
PORT=8080
SMOKE=0
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) [ $# -ge 2 ] || { echo "cluster-demo: --nodes needs a number" >&2; exit 2; }; NODES=$2; shift ;;
    --port) [ $# -ge 2 ] || { echo "cluster-demo: --port needs a number" >&2; exit 2; }; PORT=$2; shift ;;
    --smoke) SMOKE=1 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster-demo: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$NODES" in ''|*[!0-9]*) echo "cluster-demo: --nodes must be a number" >&2; exit 2 ;; esac
[ "$NODES" -ge 1 ] && [ "$NODES" -le 16 ] || { echo "cluster-demo: --nodes must be 1..16" >&2; exit 2; }
case "$PORT" in ''|*[!0-9]*) echo "cluster-demo: --port must be a number" >&2; exit 2 ;; esac
[ "$PORT" -le 65535 ] || { echo "cluster-demo: --port must be 0..65535" >&2; exit 2; }

log() { printf 'cluster-demo: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

PROFILED="${PROFILED_BIN:-$ROOT/build/profiled}"
if [ ! -x "$PROFILED" ]; then
  log "building profiled (make)"
  make -C "$ROOT" -j"$(nproc)" all >/dev/null || die "make failed"
fi
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || die "nginx is not installed (scripts/install-deps.sh)"
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -rV | head -1 || true)
[ -n "$PSQL" ] || die "PostgreSQL is not installed (scripts/install-deps.sh)"

free_port() {                # below the kernel's ephemeral range (32768-60999):
  local p                    # a node started later on port 0 cannot take it
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# ---------------------------------------------------------------- stopping
DIR=""
PIDS=()
PG_STARTED=0
stopping=0
cleanup() {
  local rc=$?
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - EXIT INT TERM HUP
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$PG_STARTED" = 1 ]; then
    "$ROOT/scripts/pg-tmp.sh" stop "$DIR/pg" >/dev/null 2>&1 || log "PostgreSQL did not stop (see $DIR/pg/server.log)"
  fi
  if [ -n "$DIR" ] && [ -d "$DIR" ]; then
    if [ "$KEEP" = 1 ]; then log "kept $DIR"; else rm -rf "$DIR"; fi
  fi
  [ "$SMOKE" = 1 ] || log "stopped"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- PostgreSQL
DIR=$(mktemp -d /tmp/profiled-cluster.XXXXXX)
chmod 0755 "$DIR"
PG_PORT=""
for _ in 1 2 3; do
  p=$(free_port) || die "no free port"
  if "$ROOT/scripts/pg-tmp.sh" start "$DIR/pg" "$p" >/dev/null 2>"$DIR/pg-start.err"; then PG_PORT=$p; break; fi
done
[ -n "$PG_PORT" ] || { cat "$DIR/pg-start.err" >&2; die "PostgreSQL did not start"; }
PG_STARTED=1
DB=$("$ROOT/scripts/pg-tmp.sh" url "$DIR/pg" "$PG_PORT" profiled)
log "PostgreSQL on 127.0.0.1:$PG_PORT ($DB)"

"$PROFILED" migrate --db "$DB" >/dev/null || die "migrate failed"
"$PROFILED" import "$ROOT/data/demo-tenant.json" --db "$DB" >"$DIR/import.out" 2>&1 \
  || { cat "$DIR/import.out" >&2; die "loading the demo tenant failed"; }
log "demo tenant: $(cat "$DIR/import.out")"
read -r ACC ADMIN < <("$PSQL" -qAt -F ' ' -d "$DB" -c \
  "SELECT account_id, user_id FROM memberships WHERE is_admin = 1 ORDER BY account_id, user_id LIMIT 1") \
  || die "no administrator in the demo tenant"
TOKEN=$("$PROFILED" token --user "$ADMIN" --scope "signature impersonation" --ttl 28800 --db "$DB") \
  || die "cannot mint a token"

# ---------------------------------------------------------------- nodes and nginx
if [ "$PORT" = 0 ]; then PORT=$(free_port) || die "no free port"; fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then die "port $PORT is in use (try --port 0)"; fi
URL="http://127.0.0.1:$PORT"
NODE_PORTS=()
for k in $(seq 1 "$NODES"); do
  out="$DIR/node-$k.out"
  : > "$out"
  setpriv --pdeathsig TERM -- "$PROFILED" serve --listen 127.0.0.1 --port 0 --db "$DB" \
      --data-dir "$DIR/node-$k" --trusted-proxies 127.0.0.1 --public-url "$URL" \
      --per-ip-connections 1024 --log-level warn > "$out" 2> "$DIR/node-$k.log" &
  PIDS+=($!)
  np=""
  for _ in $(seq 1 200); do
    np=$(sed -n 's#^profiled: listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$out")
    [ -n "$np" ] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$DIR/node-$k.log" >&2; die "node $k did not start"; }
    sleep 0.05
  done
  [ -n "$np" ] || die "node $k did not print its port"
  NODE_PORTS+=("$np")
done
log "nodes on 127.0.0.1:${NODE_PORTS[*]}"

"$ROOT/scripts/nginx-front.sh" render "$DIR/nginx" "$PORT" "${NODE_PORTS[@]}"
setpriv --pdeathsig TERM -- "$ROOT/scripts/nginx-front.sh" run "$DIR/nginx" 2> "$DIR/nginx/stderr" &
PIDS+=($!)
up=0
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz" 2>/dev/null || true)
  [ "$code" = 200 ] && { up=1; break; }
  kill -0 "${PIDS[-1]}" 2>/dev/null || break
  sleep 0.1
done
[ "$up" = 1 ] || { cat "$DIR/nginx/stderr" "$DIR/nginx/error.log" >&2 2>/dev/null; die "nginx did not come up"; }

PROFILE="$URL/restapi/v2.1/accounts/$ACC/users/$ADMIN/profile"
cat <<EOF

profiled cluster: $NODES nodes on one PostgreSQL behind nginx
  URL:        $URL
  nodes:      $(printf '127.0.0.1:%s ' "${NODE_PORTS[@]}")
  PostgreSQL: $DB
  files:      $DIR

demo account $ACC, admin user $ADMIN
access token (8 hours):
  export TOKEN=$TOKEN
try:
  curl -H "Authorization: Bearer \$TOKEN" $PROFILE

Ctrl-C stops everything.
EOF

if [ "$SMOKE" = 1 ]; then
  code=$(curl -s -o "$DIR/smoke.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$PROFILE" || true)
  echo "smoke: GET profile through nginx answered $code"
  [ "$code" = 200 ] || { cat "$DIR/smoke.json" >&2; exit 1; }
  exit 0
fi
# wait for a signal (or a node or nginx ending by itself)
wait -n "${PIDS[@]}" || true
log "a process ended by itself; stopping the rest"
exit 1
