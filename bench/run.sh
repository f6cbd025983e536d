#!/usr/bin/env bash
# bench/run.sh - the profiled benchmark, in one command (see bench/README.md).
#
#   bench/run.sh [--quick] [--users N] [--rounds N] [--keep]
#
# Builds the release binary, generates and imports a tenant, and runs wrk
# scenarios against profiled and, side by side in the same run (round by
# round, interleaved), against reference servers answering the identical
# response bytes: nginx as configured in nginx.conf.in (sendfile on), the
# fastest nginx for a few-KB body (sendfile off, open_file_cache) and a
# minimal libmicrohttpd server (mhd_ref.c, one persistent response).
# Reports min/median/max requests/s over the rounds, p50/p99 latency, the
# ratios to each reference and RSS, a scale section (import of N users,
# cache hits and misses at 1k and at N users) and the issue's targets.
#
#   full mode (default): wrk -d10s, 3 rounds, N = 1,000,000; writes
#                        docs/benchmarks.md and docs/benchmarks.png.
#   --quick:             wrk -d2s, 1 round, N = 10,000; writes bench/out/ only (CI).
#   --users N:           size of the large data set.
#   --rounds N:          rounds per scenario (min/median/max over them).
#   --keep:              keep the working directory (databases, logs).
#   --cluster:           only the cluster scenarios (bench/cluster.sh): PostgreSQL vs SQLite, 3 nodes behind nginx.
#
# Timings are printed, never asserted.  What is checked: every request of
# every scenario got a 2xx answer, and the captured bodies are what
# profiled serves.  Servers listen on 127.0.0.1 only, on free ports, and are
# stopped by the EXIT trap (also on failure or Ctrl-C).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/out"

MODE=full
USERS=""
ROUNDS=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick ;;
    --users) [ $# -ge 2 ] || { echo "run.sh: --users needs a number" >&2; exit 2; }
             USERS="$2"; shift ;;
    --users=*) USERS="${1#--users=}" ;;
    --rounds) [ $# -ge 2 ] || { echo "run.sh: --rounds needs a number" >&2; exit 2; }
              ROUNDS="$2"; shift ;;
    --keep) KEEP=1 ;;
    --cluster) CLUSTER=1 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$MODE" = quick ]; then
  DUR=2s; WARM=1s; SMALL=1000; SAMPLE=200; PAIRS=20000; USERS="${USERS:-10000}"; ROUNDS="${ROUNDS:-1}"
else
  DUR=10s; WARM=2s; SMALL=1000; SAMPLE=1000; PAIRS=100000; USERS="${USERS:-1000000}"; ROUNDS="${ROUNDS:-3}"
fi
case "$ROUNDS" in ''|*[!0-9]*|0) echo "run.sh: --rounds must be a positive integer" >&2; exit 2 ;; esac
case "$USERS" in ''|*[!0-9]*) echo "run.sh: --users must be a positive integer" >&2; exit 2 ;; esac
[ "$USERS" -ge 1 ] || { echo "run.sh: --users must be at least 1" >&2; exit 2; }
THREADS=2                 # profiled threads = nginx worker processes
CONNS=64
WRK_THREADS=2

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- cleanup
PIDS=()
WORK=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$KEEP" = 1 ]; then log "working directory kept: $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid() {                       # forget_pid PID: stopped on purpose
  local keep=() p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

stop_pid() {                         # stop_pid PID: SIGTERM, wait
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

# ---------------------------------------------------------------- deps
install_deps() {
  "$ROOT/scripts/install-deps.sh" --runtime-only
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  command -v curl >/dev/null || missing+=(curl)
  command -v column >/dev/null || missing+=(bsdextrautils)
  [ -x /usr/bin/time ] || missing+=(time)
  command -v gcc >/dev/null || missing+=(gcc)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# ---------------------------------------------------------------- helpers
free_port() {                         # a TCP port nobody listens on
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    # nothing accepts a connection there (nginx still fails loudly if it cannot bind)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

rss_kb() {                            # rss_kb FIELD PID...: sum of VmRSS/VmHWM in kB
  local field="$1" sum=0 v p; shift
  for p in "$@"; do
    v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

server_pids() {                       # server_pids KIND PID: the processes to measure
  case "$1" in
    nginx*) echo "$2 $(pgrep -P "$2" | tr '\n' ' ')" ;;
    *) echo "$2" ;;
  esac
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# start_profiled DB LOGLEVEL LOGFILE [serve options...]: sets PROF_PID, PROF_PORT
# and PROF_URL (the start-up time is startup_ms's).  DocuSign's
# rate limits (on by default: 500 calls per account in 30 s) are off: the
# benchmark measures throughput, and every answer it counts must be a 200.
start_profiled() {
  local db="$1" level="$2" logf="$3" outf="$WORK/profiled.stdout"
  shift 3
  : > "$outf"
  "$PROFILED" serve --listen 127.0.0.1 --port 0 --db "sqlite:$db" --threads "$THREADS" \
      --rate-limit-hourly 0 --rate-limit-burst 0 \
      --rate-limit-anonymous-hourly 0 --rate-limit-anonymous-burst 0 \
      --log-level "$level" "$@" > "$outf" 2> "$logf" &
  PROF_PID=$!
  PIDS+=("$PROF_PID")
  PROF_PORT=""
  for _ in $(seq 1 2000); do        # 5 ms steps
    PROF_PORT=$(sed -n 's#^profiled: listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$outf")
    [ -n "$PROF_PORT" ] && break
    kill -0 "$PROF_PID" 2>/dev/null || { cat "$logf" >&2; die "profiled did not start"; }
    sleep 0.005
  done
  [ -n "$PROF_PORT" ] || die "profiled did not print its port"
  PROF_URL="http://127.0.0.1:$PROF_PORT"
  for _ in $(seq 1 400); do          # ready: /healthz answers 200
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$PROF_URL/healthz")" = 200 ] && break
    sleep 0.005
  done
}

# startup_ms DB: start-up to the first answer, launch to /healthz 200, over
# STARTUP_ROUNDS launches of the same serve command as start_profiled by
# bench/startup_probe.c (fork, exec, read the port, poll on new
# connections every 0.5 ms: no shell or curl process in the measured
# time); prints "median min max" in ms.
STARTUP_ROUNDS=5
startup_ms() {
  local out
  out=$("$STARTUP_PROBE" "$STARTUP_ROUNDS" -- "$PROFILED" serve --listen 127.0.0.1 --port 0 \
          --db "sqlite:$1" --threads "$THREADS" --log-level warn 2>/dev/null) \
    || die "startup_probe: profiled did not answer"
  printf '%s\n' "$out" | awk '/^median/ { m = $2; next }
    { v = $1 + 0; if (n == 0 || v < lo) lo = v; if (n == 0 || v > hi) hi = v; n++ }
    END { printf "%.0f %.0f %.0f\n", m, lo, hi }'
}

# The reference servers, by kind: their pid and base URL.
declare -A REF_PID REF_URL
REFS=(nginx nginx-fast mhd)
ref_label() {
  case "$1" in
    nginx) echo "nginx (nginx.conf.in: sendfile on)" ;;
    nginx-fast) echo "nginx, sendfile off + open_file_cache (the fastest nginx here for a few-KB body)" ;;
    mhd) echo "minimal libmicrohttpd (mhd_ref.c: epoll pool, one persistent response)" ;;
    *) echo "$1" ;;
  esac
}

# start_nginx KIND SENDFILE: nginx.conf.in with sendfile on|off, own directory and port
start_nginx() {
  local kind="$1" sendfile="$2" d="$WORK/$1" port pid
  mkdir -p "$d/tmp"
  ln -sfn "$WWW" "$d/www"
  port=$(free_port) || die "no free port for $kind"
  sed -e "s#@PORT@#$port#g" -e "s#@WORKERS@#$THREADS#g" -e "s#@DIR@#$d#g" \
      -e "s#@SENDFILE@#$sendfile#g" \
      -e "s#@JSON_TYPE@#$JSON_TYPE#g" -e "s#@XML_TYPE@#$XML_TYPE#g" -e "s#@IMAGE_TYPE@#$IMAGE_TYPE#g" \
      -e "s#@ADMIN_TYPE@#$ADMIN_TYPE#g" -e "s#@JWT_TYPE@#${JWT_TYPE:-application/json}#g" \
      -e "s#@SOAP_TYPE@#${SOAP_TYPE:-text/xml}#g" \
      "$BENCH/nginx.conf.in" > "$d/nginx.conf"
  chmod -R a+rX "$d" "$WWW"
  "$NGINX" -p "$d" -e "$d/nginx-error.log" -c "$d/nginx.conf" 2> "$d/nginx.stderr" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/profile.json" && break
    kill -0 "$pid" 2>/dev/null || { cat "$d/nginx.stderr" "$d/nginx-error.log" >&2; die "$kind did not start"; }
    sleep 0.05
  done
  REF_PID[$kind]=$pid
  REF_URL[$kind]="http://127.0.0.1:$port"
}

# start_mhd: bench/mhd_ref.c on every captured file, with profiled's Content-Types
start_mhd() {
  local port pid routes=() f
  port=$(free_port) || die "no free port for mhd_ref"
  routes+=("/profile.json=$WWW/profile.json=$JSON_TYPE" "/profile.xml=$WWW/profile.xml=$XML_TYPE"
           "/image.png=$WWW/image.png=$IMAGE_TYPE" "/soap.xml=$WWW/soap.xml=$SOAP_TYPE"
           "/admin-email.json=$WWW/admin-email.json=$ADMIN_TYPE"
           "/admin-list.json=$WWW/admin-list.json=$ADMIN_TYPE"
           "/jwt-grant.json=$WWW/jwt-grant.json=${JWT_TYPE:-application/json}" "/put=$WWW/put=text/plain")
  "$MHD_REF" "$port" "$THREADS" "${routes[@]}" > "$WORK/mhd_ref.stdout" 2> "$WORK/mhd_ref.stderr" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/profile.json" && break
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/mhd_ref.stderr" >&2; die "mhd_ref did not start"; }
    sleep 0.05
  done
  REF_PID[mhd]=$pid
  REF_URL[mhd]="http://127.0.0.1:$port"
}

# capture URL FILE HEADERFILE [curl args]: GET and check 200
capture() {
  local url="$1" body="$2" hdr="$3" code; shift 3
  code=$(curl -s -o "$body" -D "$hdr" -w '%{http_code}' "$@" "$url") || die "curl $url"
  [ "$code" = 200 ] || { cat "$body" >&2; die "GET $url answered $code"; }
}

content_type() { awk 'tolower($1) == "content-type:" { sub(/^[^:]*: */, ""); sub(/\r$/, ""); print }' "$1"; }

# wrk_parse FILE: rps p50_ms p99_ms requests non2xx socket_errors
wrk_parse() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /Latency Distribution/ { dist = 1; next }
    dist && $1 == "50%" { p50 = ms($2) }
    dist && $1 == "99%" { p99 = ms($2); dist = 0 }
    /requests in/ { reqs = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
    END { printf "%.0f %.3f %.3f %d %d %d\n", rps, p50, p99, reqs, bad, err }' "$1"
}

# run_wrk SCENARIO SERVER PID URL [wrk options...] [-- script args...]:
# a warm-up, then one measured run, appended to RESULTS
run_wrk() {
  local scen="$1" kind="$2" pid="$3" url="$4"; shift 4
  local f="$OUT/wrk-$scen-$kind-r${ROUND:-1}.txt" wpid peak=0 cur pids idle hwm opts=() sargs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  sargs=("$@")                       # script arguments: after the URL, behind "--"
  set -- "${opts[@]+"${opts[@]}"}" "$url"
  [ ${#sargs[@]} -gt 0 ] && set -- "$@" -- "${sargs[@]}"
  # shellcheck disable=SC2086
  pids=$(server_pids "$kind" "$pid")
  # shellcheck disable=SC2086
  idle=$(rss_kb VmRSS $pids)
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"$WARM" "$@" > "$OUT/wrk-$scen-$kind-r${ROUND:-1}.warmup.txt" 2>&1 \
    || die "wrk warm-up $scen/$kind"
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DUR" --latency "$@" > "$f" 2>&1 &
  wpid=$!
  PIDS+=("$wpid")
  while kill -0 "$wpid" 2>/dev/null; do
    # shellcheck disable=SC2086
    cur=$(rss_kb VmRSS $pids)
    [ "$cur" -gt "$peak" ] && peak=$cur
    sleep 0.25
  done
  wait "$wpid" || { cat "$f" >&2; die "wrk $scen/$kind failed"; }
  forget_pid "$wpid"
  # shellcheck disable=SC2086
  hwm=$(rss_kb VmHWM $pids)
  read -r rps p50 p99 reqs bad err < <(wrk_parse "$f")
  [ "${reqs:-0}" -gt 0 ] || { cat "$f" >&2; die "$scen/$kind: no requests completed"; }
  [ "${bad:-0}" -eq 0 ] || { cat "$f" >&2; die "$scen/$kind: $bad non-2xx answers"; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$kind" "$rps" "$p50" "$p99" \
    "$reqs" "$err" "$idle" "$peak" "$hwm" "${ROUND:-1}" >> "$RESULTS"
  printf '  %-18s %-10s %9s req/s  p50 %7.2f ms  p99 %7.2f ms  RSS %s -> %s MB%s\n' "$scen" "$kind" \
    "$rps" "$p50" "$p99" "$(mb "$idle")" "$(mb "$peak")" \
    "$([ "${err:-0}" -gt 0 ] && echo "  ($err socket errors)")" >&2
}

# measure SCENARIO REFFILE PROFILED_URL [wrk options...] [-- script args...]:
# ROUNDS rounds; in each, profiled and then every reference server (REFS)
# answering REFFILE (a path under their document root, "-" for none) with
# the same wrk options.  Interleaving the servers round by round keeps them
# side by side in time on a machine whose load drifts.  To add a scenario:
# capture profiled's answer into $WWW/FILE (see "capturing" below), give it a
# location in nginx.conf.in and a route in start_mhd if it needs its own
# Content-Type, and call measure once.  Scenarios without a reference pass
# "-" (profiled only).
measure() {
  local scen="$1" ref="$2" url="$3" k; shift 3
  for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
    run_wrk "$scen" profiled "$PROF_PID" "$url" "$@"
    [ "$ref" = - ] && continue
    for k in "${REFS[@]}"; do
      [ -n "${REF_PID[$k]:-}" ] || continue
      run_wrk "$scen" "$k" "${REF_PID[$k]}" "${REF_URL[$k]}/$ref" "$@"
    done
  done
  ROUND=1
}

# make_dataset NAME USERS SAMPLE: generates, imports, mints tokens; sets DB, TRIPLES, FIXED_*
make_dataset() {
  local name="$1" n="$2" k="$3" d="$WORK/$1" t0 json sizes acc uid tok line
  mkdir -p "$d"
  json="$d/tenant.json"
  log "$name: generating $n users"
  t0=$(now)
  "$GEN" --users "$n" --output "$json" --sample "$k" --sample-output "$d/sample.txt" \
      --admins-output "$d/admins.txt" --pairs "$PAIRS" --pairs-output "$d/pairs.txt" \
      --png-output "$d/avatar.png" --orgs-output "$d/orgs.txt" 2>/dev/null || die "gen_tenant"
  local gen_s json_bytes; gen_s=$(elapsed "$t0"); json_bytes=$(stat -c %s "$json")
  log "$name: generated $(mb $((json_bytes / 1024))) MB in ${gen_s}s; importing"
  # the generator's file goes to disk before the clock starts: its write-back
  # (1.8 GB at 1M users) would otherwise compete with the import's own
  sync
  DB="$d/profiled.db"
  t0=$(now)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M %U %S' -o "$d/import.maxrss" "$PROFILED" import "$json" --db "sqlite:$DB" \
      > "$d/import.out" 2> "$d/import.err" || { cat "$d/import.err" >&2; die "import $name"; }
  else
    "$PROFILED" import "$json" --db "sqlite:$DB" > "$d/import.out" 2> "$d/import.err" \
      || { cat "$d/import.err" >&2; die "import $name"; }
  fi
  local imp_s; imp_s=$(elapsed "$t0")
  local imp_rss imp_cpu                # peak RSS (KB) and CPU seconds (user + sys: two threads)
  imp_rss=$(awk '{print $1}' "$d/import.maxrss" 2>/dev/null || echo 0)
  imp_cpu=$(awk '{printf "%.1f", $2 + $3}' "$d/import.maxrss" 2>/dev/null || echo 0)
  sizes=0
  for f in "$DB" "$DB-wal" "$DB-shm"; do [ -f "$f" ] && sizes=$((sizes + $(stat -c %s "$f"))); done
  log "$name: $(cat "$d/import.out") in ${imp_s}s; database $(mb $((sizes / 1024))) MB"
  rm -f "$json"                      # up to 2 GB at 1M users
  log "$name: minting $(wc -l < "$d/sample.txt") user tokens and $(wc -l < "$d/admins.txt") admin tokens"
  TRIPLES="$d/triples.txt"
  : > "$TRIPLES"
  while read -r acc uid; do
    tok=$("$PROFILED" token --user "$uid" --db "sqlite:$DB" --ttl 86400) || die "token for $uid"
    printf '%s %s %s\n' "$acc" "$uid" "$tok" >> "$TRIPLES"
  done < "$d/sample.txt"
  ADMIN_TOKENS="$d/admin-tokens.txt"
  : > "$ADMIN_TOKENS"
  while read -r acc uid; do
    tok=$("$PROFILED" token --user "$uid" --db "sqlite:$DB" --ttl 86400) || die "token for $uid"
    printf '%s %s\n' "$acc" "$tok" >> "$ADMIN_TOKENS"
  done < "$d/admins.txt"
  PAIRS_FILE="$d/pairs.txt"
  read -r line < "$TRIPLES"
  read -r FIXED_ACC FIXED_UID FIXED_TOK <<< "$line"
  # Admin API: the organization of account 0, administered by user 0
  read -r ORG0_ID ORG0_ADMIN < "$d/orgs.txt"
  [ "$ORG0_ADMIN" = "$FIXED_UID" ] || die "organization 0 is not administered by user 0"
  ADMIN_API_TOK=$("$PROFILED" token --user "$FIXED_UID" --scope user_read --db "sqlite:$DB" --ttl 86400) \
    || die "admin token"
  tail -n +2 "$TRIPLES" > "$d/random.txt"
  RANDOM_TRIPLES="$d/random.txt"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$n" "$gen_s" "$json_bytes" "$imp_s" "$sizes" > "$d/scale.tsv"
  printf '%s\n' "$imp_rss" > "$d/import.rss"
  printf '%s\n' "${imp_cpu:-0}" > "$d/import.cpu"
}

# ---------------------------------------------------------------- setup
install_deps
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$OUT"
rm -f "$OUT"/wrk-*.txt
WORK=$(mktemp -d "${BENCH_WORK_DIR:-${TMPDIR:-/tmp}}/profiled-bench.XXXXXX")
chmod 755 "$WORK"
RESULTS="$OUT/results.tsv"
printf 'scenario\tserver\trps\tp50_ms\tp99_ms\trequests\tsocket_errors\trss_idle_kb\trss_peak_kb\trss_hwm_kb\tround\n' > "$RESULTS"
START_ALL=$(now)

log "building the release binary (make)"
make -C "$ROOT" -j"$(nproc)" all > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log" >&2; die "make"; }
PROFILED="$ROOT/build/profiled"
GEN="$WORK/gen_tenant"
gcc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
    -Wmissing-prototypes -Wno-unused-parameter -Wvla -Wimplicit-fallthrough \
    -o "$GEN" "$BENCH/gen_tenant.c" || die "gcc gen_tenant.c"
MHD_REF="$WORK/mhd_ref"
# shellcheck disable=SC2046
gcc -std=c17 -O2 -Wall -Wextra -Werror -o "$MHD_REF" "$BENCH/mhd_ref.c" \
    $(pkg-config --cflags --libs libmicrohttpd) || die "gcc mhd_ref.c"
STARTUP_PROBE="$WORK/startup_probe"
gcc -std=c17 -O2 -Wall -Wextra -Werror -o "$STARTUP_PROBE" "$BENCH/startup_probe.c" \
    || die "gcc startup_probe.c"

# ---------------------------------------------------------------- cluster (bench/cluster.sh)
if [ "${CLUSTER:-0}" = 1 ]; then
  # shellcheck source=bench/cluster.sh
  . "$BENCH/cluster.sh"
  cluster_bench
  log "done in $(elapsed "$START_ALL")s"
  exit 0
fi

# ---------------------------------------------------------------- 1k users: profiled vs nginx
make_dataset small "$SMALL" "$SAMPLE"
SMALL_DIR="$WORK/small"
SMALL_RANDOM="$RANDOM_TRIPLES"
read -r SMALL_STARTUP_MS SMALL_STARTUP_MIN SMALL_STARTUP_MAX < <(startup_ms "$DB")
start_profiled "$DB" warn "$WORK/profiled-small.log"
PROF_IDLE=$(rss_kb VmRSS "$PROF_PID")
P="/restapi/v2.1/accounts/$FIXED_ACC/users/$FIXED_UID/profile"
AUTH="Authorization: Bearer $FIXED_TOK"

log "capturing profiled's responses for nginx"
WWW="$WORK/www"
mkdir -p "$WWW"
capture "$PROF_URL$P" "$WWW/profile.json" "$WORK/h.json" -H "$AUTH" -H "Accept: application/json"
capture "$PROF_URL$P" "$WWW/profile.xml" "$WORK/h.xml" -H "$AUTH" -H "Accept: application/xml"
capture "$PROF_URL$P/image" "$WWW/image.png" "$WORK/h.png" -H "$AUTH"
JSON_TYPE=$(content_type "$WORK/h.json"); XML_TYPE=$(content_type "$WORK/h.xml"); IMAGE_TYPE=$(content_type "$WORK/h.png")
cmp -s "$WWW/image.png" "$SMALL_DIR/avatar.png" || die "profile/image is not the imported PNG"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "$AUTH" -H 'Content-Type: application/json' \
       --data '{"title":"Contracts Engineer 0","userDetails":{"jobTitle":"Contracts Engineer 0"}}' "$PROF_URL$P")
[ "$code" = 200 ] || die "PUT profile answered $code"
capture "$PROF_URL$P" "$WWW/profile.json" "$WORK/h.json" -H "$AUTH" -H "Accept: application/json"
capture "$PROF_URL$P" "$WWW/profile.xml" "$WORK/h.xml" -H "$AUTH" -H "Accept: application/xml"
# Admin API: a page in the middle of organization 0's user list, and the
# drilldown record of the first user on it, looked up by email
ADM_AUTH="Authorization: Bearer $ADMIN_API_TOK"
A_LIST="/Management/v2/organizations/$ORG0_ID/users?start=100&take=20"
capture "$PROF_URL$A_LIST" "$WWW/admin-list.json" "$WORK/h.alist" -H "$ADM_AUTH"
ADMIN_EMAIL=$(grep -o '"email":"[^"]*"' "$WWW/admin-list.json" | head -1 | cut -d'"' -f4)
[ -n "$ADMIN_EMAIL" ] || die "the Admin API user list holds no email"
A_EMAIL="/Management/v2/organizations/$ORG0_ID/users/profile?email=${ADMIN_EMAIL/@/%40}"
capture "$PROF_URL$A_EMAIL" "$WWW/admin-email.json" "$WORK/h.aemail" -H "$ADM_AUTH"
grep -q '"memberships":\[{' "$WWW/admin-email.json" || die "the Admin API email lookup found nobody"
ADMIN_TYPE=$(content_type "$WORK/h.aemail")
SOAP_PATH="/api/3.0/accountmanagement.asmx"
SOAP_ENV="<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><GetUserProfile xmlns=\"http://www.docusign.net/API/AccountManagement\"><UserId>$FIXED_UID</UserId><AccountId>$FIXED_ACC</AccountId></GetUserProfile></soap:Body></soap:Envelope>"
capture "$PROF_URL$SOAP_PATH" "$WWW/soap.xml" "$WORK/h.soap" -H "$AUTH" -H 'Content-Type: text/xml; charset=utf-8' \
  -H 'SOAPAction: "http://www.docusign.net/API/AccountManagement/GetUserProfile"' --data-binary "$SOAP_ENV"
grep -q '<Success>true</Success>' "$WWW/soap.xml" || die "SOAP GetUserProfile did not succeed"
SOAP_TYPE=$(content_type "$WORK/h.soap")
# The JWT grant (OAuth 2.0, RFC 7523): an integration with an RSA key and
# the user's consent; one RS256 assertion (valid for the hour the run
# takes; profiled keeps no replay list, like DocuSign) POSTed again and again.
# OAuth answers only over HTTPS: a second profiled on the same database,
# told by --public-url that a TLS proxy is in front of it (no TLS work is
# measured, as for the references), answers it.
MAIN_PID=$PROF_PID; MAIN_PORT=$PROF_PORT; MAIN_URL=$PROF_URL
start_profiled "$DB" warn "$WORK/profiled-oauth.log" --public-url "https://bench.invalid"
OAUTH_PID=$PROF_PID; OAUTH_PORT=$PROF_PORT; OAUTH_URL=$PROF_URL
PROF_PID=$MAIN_PID; PROF_PORT=$MAIN_PORT; PROF_URL=$MAIN_URL
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
openssl genrsa -out "$WORK/jwt-key.pem" 2048 2>/dev/null || die "openssl genrsa"
openssl rsa -in "$WORK/jwt-key.pem" -pubout -out "$WORK/jwt-pub.pem" 2>/dev/null || die "openssl rsa"
"$PROFILED" integration add bench-jwt --name "bench" --scopes "signature impersonation" \
  --public-key "$WORK/jwt-pub.pem" --db "sqlite:$DB" > /dev/null || die "integration add"
"$PROFILED" integration consent bench-jwt --user "$FIXED_UID" --db "sqlite:$DB" > /dev/null || die "consent"
jwt_now=$(date +%s)
jwt_hdr=$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)
jwt_pl=$(printf '{"iss":"bench-jwt","sub":"%s","aud":"bench.invalid","iat":%s,"exp":%s,"scope":"signature impersonation"}' \
  "$FIXED_UID" "$jwt_now" $((jwt_now + 3600)) | b64url)
jwt_sig=$(printf '%s.%s' "$jwt_hdr" "$jwt_pl" | openssl dgst -sha256 -sign "$WORK/jwt-key.pem" | b64url)
JWT_BODY="grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=$jwt_hdr.$jwt_pl.$jwt_sig"
capture "$OAUTH_URL/oauth/token" "$WWW/jwt-grant.json" "$WORK/h.jwt" -X POST \
  -H 'Content-Type: application/x-www-form-urlencoded' --data "$JWT_BODY"
grep -q '"access_token"' "$WWW/jwt-grant.json" || die "the JWT grant gave no access token"
JWT_TYPE=$(content_type "$WORK/h.jwt")
: > "$WWW/put"                       # PUT profile: 200 with an empty body

log "starting the reference servers: ${REFS[*]}"
start_nginx nginx on
start_nginx nginx-fast off
start_mhd
declare -A REF_IDLE
for k in "${REFS[@]}"; do
  # shellcheck disable=SC2046
  REF_IDLE[$k]=$(rss_kb VmRSS $(server_pids "$k" "${REF_PID[$k]}"))
  for f in profile.json profile.xml image.png admin-email.json admin-list.json; do
    if ! curl -s -o "$WORK/check" "${REF_URL[$k]}/$f" || ! cmp -s "$WORK/check" "$WWW/$f"; then
      die "$k does not serve $f as captured"
    fi
  done
  for f in soap.xml jwt-grant.json; do
    curl -s -o "$WORK/check" -X POST -H 'Content-Type: text/xml' --data-binary "$SOAP_ENV" "${REF_URL[$k]}/$f" \
      && cmp -s "$WORK/check" "$WWW/$f" || die "$k does not serve $f to a POST as captured"
  done
done
log "response sizes: JSON $(stat -c %s "$WWW/profile.json") B ($JSON_TYPE), XML $(stat -c %s "$WWW/profile.xml") B ($XML_TYPE), image $(stat -c %s "$WWW/image.png") B ($IMAGE_TYPE)"

log "scenarios at $SMALL users (wrk -t$WRK_THREADS -c$CONNS -d$DUR, warm-up $WARM, $ROUNDS round(s))"
measure get-json profile.json "$PROF_URL$P" -H "$AUTH" -H "Accept: application/json"
measure get-xml profile.xml "$PROF_URL$P" -H "$AUTH" -H "Accept: application/xml"
measure get-image image.png "$PROF_URL$P/image" -H "$AUTH"
measure soap-get-profile soap.xml "$PROF_URL$SOAP_PATH" -H "$AUTH" -s "$BENCH/lua/soap.lua" -- "$FIXED_UID" "$FIXED_ACC"
measure put-profile put "$PROF_URL$P" -H "$AUTH" -s "$BENCH/lua/put.lua"
# PUTs spread over every user of the set, by their accounts' admins
measure put-profile-any - "$PROF_URL" -s "$BENCH/lua/random_any.lua" -- "$ADMIN_TOKENS" "$PAIRS_FILE" /restapi/v2.1 put
# the same PUTs through a second server on the same database with
# synchronous=FULL (--db-sync full: the WAL is synced at every commit)
start_profiled "$DB" warn "$WORK/profiled-full.log" --db-sync full
FULL_PID=$PROF_PID; FULL_URL=$PROF_URL
PROF_PORT=$MAIN_PORT; PROF_URL=$MAIN_URL
measure put-profile-full - "$FULL_URL$P" -H "$AUTH" -s "$BENCH/lua/put.lua"
stop_pid "$FULL_PID"
PROF_PID=$MAIN_PID
measure admin-email admin-email.json "$PROF_URL$A_EMAIL" -H "$ADM_AUTH"
measure admin-list admin-list.json "$PROF_URL$A_LIST" -H "$ADM_AUTH"
PROF_PID=$OAUTH_PID
measure jwt-grant jwt-grant.json "$OAUTH_URL/oauth/token" -s "$BENCH/lua/post.lua" -- "$JWT_BODY"
PROF_PID=$MAIN_PID
measure "random-$SMALL" - "$PROF_URL" -H "Accept: application/json" -s "$BENCH/lua/random.lua" -- "$SMALL_RANDOM"
measure "random-any-$SMALL" - "$PROF_URL" -H "Accept: application/json" \
  -s "$BENCH/lua/random_any.lua" -- "$ADMIN_TOKENS" "$PAIRS_FILE"
for k in "${REFS[@]}"; do stop_pid "${REF_PID[$k]}"; done
stop_pid "$OAUTH_PID"
stop_pid "$PROF_PID"
# the same reads with every one a cache miss: a server on the same
# database with its response cache off (--response-cache-mb 0)
start_profiled "$DB" warn "$WORK/profiled-miss-small.log" --response-cache-mb 0
measure "miss-any-$SMALL" - "$PROF_URL" -H "Accept: application/json" \
  -s "$BENCH/lua/random_any.lua" -- "$ADMIN_TOKENS" "$PAIRS_FILE"
stop_pid "$PROF_PID"

if [ "$MODE" = full ]; then
  log "request logging: get-json with --log-level info (one JSON line per request to a file)"
  start_profiled "$DB" info "$WORK/profiled-info.log"
  measure get-json-loginfo - "$PROF_URL$P" -H "$AUTH" -H "Accept: application/json"
  stop_pid "$PROF_PID"
  LOGINFO_LINES=$(grep -c '"msg":"request"' "$WORK/profiled-info.log" || true)
  log "  $LOGINFO_LINES request lines logged"
fi

# ---------------------------------------------------------------- N users
make_dataset large "$USERS" "$SAMPLE"
LARGE_DIR="$WORK/large"
read -r LARGE_STARTUP_MS LARGE_STARTUP_MIN LARGE_STARTUP_MAX < <(startup_ms "$DB")
start_profiled "$DB" warn "$WORK/profiled-large.log"
sleep 1
LARGE_IDLE=$(rss_kb VmRSS "$PROF_PID")
read -r line < "$RANDOM_TRIPLES"
read -r ra ru rt <<< "$line"
capture "$PROF_URL/restapi/v2.1/accounts/$ra/users/$ru/profile" "$WORK/check" "$WORK/h.check" \
  -H "Authorization: Bearer $rt"
log "scenarios at $USERS users"
measure "random-$USERS" - "$PROF_URL" -H "Accept: application/json" -s "$BENCH/lua/random.lua" -- "$RANDOM_TRIPLES"
measure "random-any-$USERS" - "$PROF_URL" -H "Accept: application/json" \
  -s "$BENCH/lua/random_any.lua" -- "$ADMIN_TOKENS" "$PAIRS_FILE"
measure "get-json-$USERS" - "$PROF_URL$P" -H "Authorization: Bearer $FIXED_TOK" -H "Accept: application/json"
measure "admin-email-$USERS" - "$PROF_URL$A_EMAIL" -H "Authorization: Bearer $ADMIN_API_TOK"
LARGE_AFTER=$(rss_kb VmRSS "$PROF_PID")
stop_pid "$PROF_PID"
start_profiled "$DB" warn "$WORK/profiled-miss-large.log" --response-cache-mb 0
measure "miss-any-$USERS" - "$PROF_URL" -H "Accept: application/json" \
  -s "$BENCH/lua/random_any.lua" -- "$ADMIN_TOKENS" "$PAIRS_FILE"
stop_pid "$PROF_PID"
TOTAL_S=$(elapsed "$START_ALL")

# ---------------------------------------------------------------- report
if [ "$MODE" = full ]; then REPORT="$ROOT/docs/benchmarks.md"; CHART="$ROOT/docs/benchmarks.png"
else REPORT="$OUT/benchmarks.md"; CHART="$OUT/benchmarks.png"; fi
mkdir -p "$(dirname "$REPORT")"

# STATS: one line per scenario and server over its rounds:
# scenario server n min median max p50(median) p99(median) rss_idle rss_peak(max) rss_hwm(max)
STATS="$OUT/stats.tsv"
awk -F'\t' 'NR > 1 { k = $1 FS $2; if (!(k in n)) order[++m] = k; i = ++n[k]
    rps[k, i] = $3; p50[k, i] = $4; p99[k, i] = $5
    if (!(k in idle)) idle[k] = $8
    if ($9 > peak[k]) peak[k] = $9; if ($10 > hwm[k]) hwm[k] = $10 }
  function med(a, k, c,    v, i, j, t) {
    for (i = 1; i <= c; i++) v[i] = a[k, i] + 0
    for (i = 2; i <= c; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2 }
  function mn(a, k, c,    i, x) { x = a[k, 1] + 0; for (i = 2; i <= c; i++) if (a[k, i] + 0 < x) x = a[k, i] + 0; return x }
  function mx(a, k, c,    i, x) { x = a[k, 1] + 0; for (i = 2; i <= c; i++) if (a[k, i] + 0 > x) x = a[k, i] + 0; return x }
  END { for (o = 1; o <= m; o++) { k = order[o]; c = n[k]
          printf "%s\t%d\t%.0f\t%.0f\t%.0f\t%.3f\t%.3f\t%d\t%d\t%d\n", k, c, mn(rps, k, c), med(rps, k, c),
            mx(rps, k, c), med(p50, k, c), med(p99, k, c), idle[k], peak[k], hwm[k] } }' "$RESULTS" > "$STATS"
# bstat SCENARIO SERVER COLUMN (3 n, 4 min, 5 median, 6 max, 7 p50, 8 p99, 9 idle, 10 peak, 11 hwm)
bstat() { awk -F'\t' -v s="$1" -v k="$2" -v c="$3" '$1 == s && $2 == k { print $c }' "$STATS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else printf "-" }'; }

# chart data: scenario, then the median requests/s of profiled and each reference (NaN where none)
awk -F'\t' -v refs="${REFS[*]}" 'BEGIN { nk = split("profiled " refs, kinds, " ") }
  { v[$1 FS $2] = $5; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  END { for (i = 1; i <= n; i++) { s = order[i]; printf "\"%s\"", s
          for (j = 1; j <= nk; j++) printf " %s", ((s FS kinds[j]) in v) ? v[s FS kinds[j]] : "NaN"
          printf "\n" } }' "$STATS" > "$OUT/chart.dat"
gnuplot > "$OUT/gnuplot.log" 2>&1 <<GNUPLOT || { cat "$OUT/gnuplot.log" >&2; die "gnuplot"; }
set terminal pngcairo size 1200,560 font "sans,10" noenhanced
set rmargin 10
set output "$CHART"
set title "profiled vs references serving the same bytes: median of $ROUNDS round(s) (wrk -t$WRK_THREADS -c$CONNS -d$DUR, 127.0.0.1, $(nproc) CPUs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "requests/s"
set yrange [0:*]
set grid ytics
set key top right
set xtics nomirror rotate by -25
set datafile missing "NaN"
plot "$OUT/chart.dat" using 2:xtic(1) title "profiled" lc rgb "#2b6cb0", \
     "" using 3 title "nginx (sendfile on)" lc rgb "#a0aec0", \
     "" using 4 title "nginx (sendfile off, open_file_cache)" lc rgb "#718096", \
     "" using 5 title "minimal libmicrohttpd" lc rgb "#dd6b20"
GNUPLOT

machine_cpu=$(lscpu | awk -F: '/^Model name/ { sub(/^ +/, "", $2); print $2; exit }')
mem_gb=$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || rev="$rev, src/ modified"
read -r _ _ l_gen l_json l_imp l_db < "$LARGE_DIR/scale.tsv"
read -r _ _ s_gen s_json s_imp s_db < "$SMALL_DIR/scale.tsv"
l_imp_rss=$(cat "$LARGE_DIR/import.rss")

table() {                             # the per-scenario table from STATS
  echo "| scenario | server | requests/s min / **median** / max | p50 ms | p99 ms | profiled ÷ nginx | ÷ nginx-fast | ÷ mhd | RSS idle / peak (MB) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  local scen kind n lo md hi p50 p99 idle peak r1 r2 r3
  while IFS=$'\t' read -r scen kind n lo md hi p50 p99 idle peak _; do
    r1=""; r2=""; r3=""
    if [ "$kind" = profiled ]; then
      r1=$(ratio "$md" "$(bstat "$scen" nginx 5)"); r2=$(ratio "$md" "$(bstat "$scen" nginx-fast 5)")
      r3=$(ratio "$md" "$(bstat "$scen" mhd 5)")
    fi
    printf '| %s | %s | %s / **%s** / %s | %.2f | %.2f | %s | %s | %s | %s / %s |\n' "$scen" "$kind" "$lo" "$md" "$hi" \
      "$p50" "$p99" "$r1" "$r2" "$r3" "$(mb "$idle")" "$(mb "$peak")"
  done < "$STATS"
}
ms2() { printf '%s / %s' "$(bstat "$1" profiled 7)" "$(bstat "$1" profiled 8)"; }
commas() { awk -v n="$1" 'BEGIN { s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } printf "%s%s", n, s }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
# result SCENARIO SERVER COLUMN: the old results.tsv columns (3 rps, 9 peak, 10 hwm), from the medians
result() { case "$3" in 3) bstat "$1" "$2" 5 ;; 9) bstat "$1" "$2" 10 ;; 10) bstat "$1" "$2" 11 ;; *) bstat "$1" "$2" "$3" ;; esac; }
# verdict VALUE OP LIMIT
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "" || v == "-") { print "not measured"; exit }
  ok = (op == ">=") ? v + 0 >= l + 0 : v + 0 <= l + 0; print ok ? "**reached**" : "not reached" }'; }
targets() {                           # the issue's targets, from this run's medians
  local k md r rf rm p99 sm lg
  echo "| target | measured (medians of $ROUNDS round(s)) | |"
  echo "|---|---|---|"
  for k in get-json get-xml get-image; do
    md=$(bstat "$k" profiled 5); rf=$(ratio "$md" "$(bstat "$k" nginx-fast 5)"); rm=$(ratio "$md" "$(bstat "$k" mhd 5)")
    echo "| $k ≥ 1.0× fastest nginx | $md vs $(bstat "$k" nginx-fast 5) req/s = ${rf}× | $(verdict "$rf" '>=' 1.0) |"
    echo "| $k ≥ 0.85× minimal libmicrohttpd | $md vs $(bstat "$k" mhd 5) req/s = ${rm}× | $(verdict "$rm" '>=' 0.85) |"
    p99=$(bstat "$k" profiled 8)
    echo "| $k p99 ≤ 3 ms at $CONNS connections | ${p99} ms | $(verdict "$p99" '<=' 3) |"
  done
  sm=$(bstat "random-any-$SMALL" profiled 5); lg=$(bstat "random-any-$USERS" profiled 5); r=$(ratio "$lg" "$sm")
  echo "| cache-missing reads at $(commas "$USERS") users ≥ 0.5× the same at $(commas "$SMALL"): random-any, as the issue measured it (at $(commas "$SMALL") users its reads are response-cache hits) | $lg vs $sm req/s = ${r}× | $(verdict "$r" '>=' 0.5) |"
  sm=$(bstat "miss-any-$SMALL" profiled 5); lg=$(bstat "miss-any-$USERS" profiled 5); r=$(ratio "$lg" "$sm")
  echo "| cache-missing reads at $(commas "$USERS") users ≥ 0.5× the same at $(commas "$SMALL"): miss-any, every read a miss on both sides | $lg vs $sm req/s = ${r}× | $(verdict "$r" '>=' 0.5) |"
  r=$(bstat "put-profile" profiled 5)
  echo "| PUT profile ≥ 15,000/s at $CONNS connections | $r /s | $(verdict "$r" '>=' 15000) |"
  r2=$(bstat "put-profile-full" profiled 5)
  echo "| PUT profile with \`--db-sync full\` (the cost of synchronous=FULL; no target) | $r2 /s = $(ratio "$r2" "$r")× of normal | reported |"
  r3=$(bstat "put-profile-any" profiled 5)
  echo "| PUT profile spread over $(commas "$SMALL") users by their admins (no target) | $r3 /s = $(ratio "$r3" "$r")× of one user's | reported |"
  echo "| import of $(commas "$USERS") users ≤ 60 s (the target is for 1,000,000) | ${l_imp} s | $(verdict "$l_imp" '<=' 60) |"
  r=$(mb "$(bstat "random-any-$USERS" profiled 11)")
  echo "| RSS ≤ 100 MB under load at $(commas "$USERS") users (VmHWM after random-any) | $r MB | $(verdict "$r" '<=' 100) |"
  echo "| start-up to first answer < 100 ms at $(commas "$USERS") users (launch to /healthz 200, median of $STARTUP_ROUNDS launches) | ${LARGE_STARTUP_MS} ms (${LARGE_STARTUP_MIN}–${LARGE_STARTUP_MAX}; $(commas "$SMALL") users: ${SMALL_STARTUP_MS} ms, ${SMALL_STARTUP_MIN}–${SMALL_STARTUP_MAX}) | $(verdict "$LARGE_STARTUP_MS" '<=' 99.999) |"
}

{
  echo "# profiled benchmarks"
  echo
  if [ "$MODE" = full ]; then
    echo "Generated by \`bench/run.sh\` (full mode) on $(date -u '+%Y-%m-%d %H:%M UTC'); do not edit by hand."
  else
    echo "Generated by \`bench/run.sh --quick\` on $(date -u '+%Y-%m-%d %H:%M UTC'): short runs on small data, to keep the benchmark working; the numbers are rough."
  fi
  echo
  echo "## Machine"
  echo
  echo "- CPU: $machine_cpu, $(nproc) CPUs; RAM $mem_gb GiB; kernel $(uname -r); Debian $(cat /etc/debian_version 2>/dev/null || echo '?')"
  echo "- $("$PROFILED" --version 2>/dev/null | head -1) (commit $rev), built by \`make\` (-O2); $(nginx_v=$("$NGINX" -v 2>&1); echo "${nginx_v#nginx version: }"); $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
  echo "- Load generator, profiled and the reference servers share the same $(nproc) CPUs over loopback: absolute numbers are lower than on separate machines; the ratios within a round are what matters. Each scenario runs $ROUNDS round(s); in each round profiled and every reference run back to back, so they see the same machine load."
  if [ -n "${BENCH_NOTE:-}" ]; then echo "- $BENCH_NOTE"; fi
  echo
  echo "![profiled vs the references, requests/s]($(basename "$CHART"))"
  echo
  echo "## Targets (issue 15)"
  echo
  echo "Computed from this run's medians; the analysis below says why."
  echo
  targets
  echo
  echo "## Throughput and latency"
  echo
  echo "Database of $SMALL users unless the scenario name ends in a user count. One authenticated user (account admin, has a $(stat -c %s "$WWW/image.png")-byte PNG) unless the scenario says random."
  echo "The references answer the exact body bytes profiled returned for the same request ($(stat -c %s "$WWW/profile.json") B JSON, $(stat -c %s "$WWW/profile.xml") B XML, $(stat -c %s "$WWW/image.png") B PNG, $(stat -c %s "$WWW/soap.xml") B SOAP, $(stat -c %s "$WWW/jwt-grant.json") B token) with the same Content-Type; for PUT they answer 200 with an empty body, like profiled, without storing anything:"
  for k in "${REFS[@]}"; do echo "- **$k**: $(ref_label "$k")"; done
  echo
  echo
  table
  echo
  echo "- get-json / get-xml: \`GET /restapi/v2.1/accounts/{acc}/users/{uid}/profile\` with \`Accept: application/json\` / \`application/xml\`."
  echo "- get-image: \`GET …/profile/image\` (PNG, ETag, Cache-Control)."
  echo "- soap-get-profile: SOAP 1.1 \`GetUserProfile\` (seed 003) \`POST /api/3.0/accountmanagement.asmx\` with a Bearer token ($(stat -c %s "$WWW/soap.xml") B answer); nginx answers the same POST with the captured envelope."
  echo "- put-profile: \`PUT …/profile\` of one user by that user with a ~80-byte JSON change of the job title (a real write, WAL, synchronous=NORMAL; the write queue commits each batch of up to 64 PUTs in one transaction before answering them: docs/storage.md)."
  echo "- put-profile-any: the same change, each PUT to a random user among $(commas "$PAIRS") drawn from the $(commas "$SMALL"), by the admin of the user's account: writes spread over many rows, so a batch's transaction changes many pages."
  echo "- put-profile-full: put-profile through a second server on the same database started with \`--db-sync full\` (SQLite synchronous=FULL: the WAL is synced to disk at every commit, one per batch)."
  echo "- random-N: \`GET …/profile\` of a random user per request among $SAMPLE users sampled from N, each reading their own profile with their own token (a working set that fits profiled's caches)."
  echo "- random-any-N: \`GET …/profile\` of a random user among $(commas "$PAIRS") drawn from all N users (with replacement), read by the admin of the user's account (one token per account): at 1M users the working set is far larger than the caches."
  echo "- miss-any-N: random-any-N through a server on the same database started with \`--response-cache-mb 0\`, so that every read is a cache miss at both sizes: the store's reads, the policy check and the rendering, every time."
  echo "- admin-email: Admin API \`GET /Management/v2/organizations/{org}/users/profile?email=…\` (the drilldown record: memberships, groups, identities), by the organization's administrator with a \`user_read\` token; admin-email-N the same on the large database (one unique-index lookup among N users)."
  echo "- admin-list: Admin API \`GET /Management/v2/organizations/{org}/users?start=100&take=20\` (a page of 20 of the organization's 1,000 users, with the total and absolute next/previous links)."
  echo "- jwt-grant: OAuth \`POST /oauth/token\` with \`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer\` and one RS256 assertion (2048-bit key) for the fixed user: RSA signature check, consent lookup, a new access token minted per request ($(stat -c %s "$WWW/jwt-grant.json") B answer); the references answer the same POST with a captured token response."
  if [ "$MODE" = full ]; then
    echo "- get-json-loginfo: get-json with \`--log-level info\`, i.e. one JSON log line per request ($LOGINFO_LINES lines written to a file during the run). Every other run uses \`--log-level warn\` so that request logging does not count; here it changed get-json throughput by $(awk -v a="$(result get-json profiled 3)" -v b="$(result get-json-loginfo profiled 3)" 'BEGIN { if (a > 0) printf "%+.0f%%", (b - a) * 100 / a; else print "?" }') (run-to-run noise is about ±10%)."
  else
    echo "- profiled runs with \`--log-level warn\`: request logging (info) costs throughput (measured in full mode)."
  fi
  echo
  echo "## Scale ($(commas "$USERS") users)"
  echo
  echo "| | $(commas "$SMALL") users | $(commas "$USERS") users |"
  echo "|---|---:|---:|"
  echo "| import file (generated in) | $(mb $((s_json / 1024))) MB (${s_gen} s) | $(mb $((l_json / 1024))) MB (${l_gen} s) |"
  echo "| \`profiled import\` time | ${s_imp} s | ${l_imp} s |"
  echo "| import rate | $(rate "$SMALL" "$s_imp") users/s | $(rate "$USERS" "$l_imp") users/s |"
  echo "| import CPU time (user + sys, two threads) | $(cat "$SMALL_DIR/import.cpu") s | $(cat "$LARGE_DIR/import.cpu") s |"
  echo "| import peak RSS | $(mb "$(cat "$SMALL_DIR/import.rss")") MB | $(mb "$l_imp_rss") MB |"
  echo "| database size (db + wal) | $(mb $((s_db / 1024))) MB | $(mb $((l_db / 1024))) MB |"
  echo "| random users (own token, $SAMPLE sampled): requests/s | $(result "random-$SMALL" profiled 3) | $(result "random-$USERS" profiled 3) |"
  echo "| random users (own token): p50 / p99 ms | $(ms2 "random-$SMALL") | $(ms2 "random-$USERS") |"
  echo "| any user (admin token): requests/s | $(result "random-any-$SMALL" profiled 3) | $(result "random-any-$USERS" profiled 3) |"
  echo "| any user (admin token): p50 / p99 ms | $(ms2 "random-any-$SMALL") | $(ms2 "random-any-$USERS") |"
  echo "| any user, response cache off: requests/s | $(result "miss-any-$SMALL" profiled 3) | $(result "miss-any-$USERS" profiled 3) |"
  echo "| any user, response cache off: p50 / p99 ms | $(ms2 "miss-any-$SMALL") | $(ms2 "miss-any-$USERS") |"
  echo "| profiled RSS at idle (after start) | $(mb "$PROF_IDLE") MB | $(mb "$LARGE_IDLE") MB |"
  echo "| profiled RSS under load (peak VmRSS / VmHWM) | $(mb "$(result "random-any-$SMALL" profiled 9)") / $(mb "$(result "random-any-$SMALL" profiled 10)") MB | $(mb "$(result "random-any-$USERS" profiled 9)") / $(mb "$(result "random-any-$USERS" profiled 10)") MB |"
  echo "| profiled RSS after the load | | $(mb "$LARGE_AFTER") MB |"
  echo
  echo "Reference servers' RSS at idle: $(for k in "${REFS[@]}"; do printf '%s %s MB; ' "$k" "$(mb "${REF_IDLE[$k]}")"; done)profiled at start-up (\`bench/startup_probe.c\`, median of $STARTUP_ROUNDS launches): ${SMALL_STARTUP_MS} ms to the first answer at $(commas "$SMALL") users, ${LARGE_STARTUP_MS} ms at $(commas "$USERS"). The import runs in one transaction; passwords are pre-hashed (\`passwordHash\`), since Argon2id hashing is deliberately slow. Each user has a ~1.4 KB profile (addresses, two authentication methods, usage history, custom and user settings) and one membership; $( [ "$USERS" -ge 1000 ] && echo "1000 users per account" || echo "one account")."
  echo
  echo "## PostgreSQL and cluster"
  echo
  if [ -f "$ROOT/docs/benchmarks-cluster.md" ]; then
    echo "From \`bench/run.sh --cluster\` (full mode; a separate run, its own date below: it needs a PostgreSQL import of its data set):"
    echo
    sed -e '1s/^# /### /' "$ROOT/docs/benchmarks-cluster.md"
  else
    echo "Not measured in this run: \`bench/run.sh --cluster\` (full mode) writes docs/benchmarks-cluster.md, which this report then includes."
  fi
  echo
  if [ -f "$ROOT/bench/analysis.md" ]; then cat "$ROOT/bench/analysis.md"; echo; fi
  echo "## How to reproduce"
  echo
  echo '```sh'
  if [ "$MODE" = full ]; then echo "bench/run.sh --users $USERS      # full mode, ~$(awk -v s="$TOTAL_S" 'BEGIN { printf "%.0f", s / 60 }') min here"; else echo "bench/run.sh --quick"; fi
  echo '```'
  echo
  echo "What it runs:"
  echo
  echo '```sh'
  echo "make                                           # build/profiled"
  echo "gcc -std=c17 -O2 … -o gen_tenant bench/gen_tenant.c"
  echo "gen_tenant --users N --output tenant.json --sample $SAMPLE --sample-output sample.txt"
  echo "profiled import tenant.json --db sqlite:profiled.db"
  echo "profiled token --user UID --db sqlite:profiled.db --ttl 86400   # per sampled user"
  echo "profiled serve --listen 127.0.0.1 --port 0 --db sqlite:profiled.db --threads $THREADS --log-level warn"
  echo "nginx -p DIR -c DIR/nginx.conf                 # bench/nginx.conf.in: $THREADS workers, access_log off; sendfile on / off"
  echo "gcc -O2 -o mhd_ref bench/mhd_ref.c \$(pkg-config --cflags --libs libmicrohttpd)"
  echo "mhd_ref PORT $THREADS /profile.json=FILE=TYPE ...        # minimal libmicrohttpd: one persistent response per path"
  echo "# per scenario, $ROUNDS round(s); per round: profiled, nginx, nginx-fast, mhd back to back"
  echo "wrk -t$WRK_THREADS -c$CONNS -d$WARM URL                     # warm-up, not reported"
  echo "wrk -t$WRK_THREADS -c$CONNS -d$DUR --latency -H 'Authorization: Bearer TOKEN' -H 'Accept: application/json' URL"
  echo "wrk … -s bench/lua/put.lua URL                 # PUT profile"
  echo "wrk … -s bench/lua/random_any.lua URL -- ADMIN_TOKENS PAIRS /restapi/v2.1 put   # PUT profile, any user"
  echo "wrk … -s bench/lua/random.lua URL -- TRIPLES   # random users, own tokens"
  echo "wrk … -s bench/lua/random_any.lua URL -- ADMIN_TOKENS PAIRS   # any user, admin tokens"
  echo "profiled serve … --response-cache-mb 0      # miss-any: the same wrk, every read a miss"
  echo "wrk … -s bench/lua/soap.lua URL -- USER ACCOUNT   # SOAP GetUserProfile"
  echo "wrk … -s bench/lua/post.lua URL/oauth/token -- 'grant_type=…jwt-bearer&assertion=…'   # JWT grant"
  echo '```'
  echo
  echo "RSS is VmRSS / VmHWM from /proc/PID/status (nginx: master + workers), sampled every 0.25 s during each run. Raw wrk outputs: bench/out/wrk-*.txt, all numbers: bench/out/results.tsv. Whole run: ${TOTAL_S} s."
} > "$REPORT"

log "done in ${TOTAL_S}s: $REPORT, $CHART"
echo
column -t -s $'\t' "$STATS"
