#!/usr/bin/env bash
# bench/run.sh - the profiled benchmark, in one command (see bench/README.md).
#
#   bench/run.sh [--quick] [--users N] [--keep]
#
# Builds the release binary, generates and imports a tenant, and runs wrk
# scenarios against profiled and, side by side in the same run, against
# nginx serving the identical response bytes from static files.  Reports
# requests/s, p50/p99 latency, the ratio to nginx and RSS, plus a scale
# section (import of N users, random users at 1k and at N users).
#
#   full mode (default): wrk -d10s, N = 1,000,000; writes docs/benchmarks.md
#                        and docs/benchmarks.png.
#   --quick:             wrk -d2s, N = 10,000; writes bench/out/ only (CI).
#   --users N:           size of the large data set.
#   --keep:              keep the working directory (databases, logs).
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
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick ;;
    --users) [ $# -ge 2 ] || { echo "run.sh: --users needs a number" >&2; exit 2; }
             USERS="$2"; shift ;;
    --users=*) USERS="${1#--users=}" ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$MODE" = quick ]; then
  DUR=2s; WARM=1s; SMALL=1000; SAMPLE=200; PAIRS=20000; USERS="${USERS:-10000}"
else
  DUR=10s; WARM=2s; SMALL=1000; SAMPLE=1000; PAIRS=100000; USERS="${USERS:-1000000}"
fi
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
  if [ "$1" = nginx ]; then echo "$2 $(pgrep -P "$2" | tr '\n' ' ')"; else echo "$2"; fi
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# start_profiled DB LOGLEVEL LOGFILE: sets PROF_PID and PROF_PORT.  DocuSign's
# rate limits (on by default: 500 calls per account in 30 s) are off: the
# benchmark measures throughput, and every answer it counts must be a 200.
start_profiled() {
  local db="$1" level="$2" logf="$3" outf="$WORK/profiled.stdout"
  : > "$outf"
  "$PROFILED" serve --listen 127.0.0.1 --port 0 --db "sqlite:$db" --threads "$THREADS" \
      --rate-limit-hourly 0 --rate-limit-burst 0 \
      --rate-limit-anonymous-hourly 0 --rate-limit-anonymous-burst 0 \
      --log-level "$level" > "$outf" 2> "$logf" &
  PROF_PID=$!
  PIDS+=("$PROF_PID")
  PROF_PORT=""
  for _ in $(seq 1 200); do
    PROF_PORT=$(sed -n 's#^profiled: listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$outf")
    [ -n "$PROF_PORT" ] && break
    kill -0 "$PROF_PID" 2>/dev/null || { cat "$logf" >&2; die "profiled did not start"; }
    sleep 0.05
  done
  [ -n "$PROF_PORT" ] || die "profiled did not print its port"
  PROF_URL="http://127.0.0.1:$PROF_PORT"
}

start_nginx() {                       # sets NGX_PID and NGX_PORT
  local d="$WORK/nginx"
  mkdir -p "$d/tmp"
  NGX_PORT=$(free_port) || die "no free port for nginx"
  sed -e "s#@PORT@#$NGX_PORT#g" -e "s#@WORKERS@#$THREADS#g" -e "s#@DIR@#$d#g" \
      -e "s#@JSON_TYPE@#$JSON_TYPE#g" -e "s#@XML_TYPE@#$XML_TYPE#g" -e "s#@IMAGE_TYPE@#$IMAGE_TYPE#g" \
      -e "s#@ADMIN_TYPE@#$ADMIN_TYPE#g" \
      -e "s#@SOAP_TYPE@#${SOAP_TYPE:-text/xml}#g" \
      "$BENCH/nginx.conf.in" > "$d/nginx.conf"
  chmod -R a+rX "$d"
  "$NGINX" -p "$d" -e "$d/nginx-error.log" -c "$d/nginx.conf" 2> "$d/nginx.stderr" &
  NGX_PID=$!
  PIDS+=("$NGX_PID")
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/profile.json" && break
    kill -0 "$NGX_PID" 2>/dev/null || { cat "$d/nginx.stderr" "$d/nginx-error.log" >&2; die "nginx did not start"; }
    sleep 0.05
  done
  NGX_URL="http://127.0.0.1:$NGX_PORT"
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
  local f="$OUT/wrk-$scen-$kind.txt" wpid peak=0 cur pids idle hwm opts=() sargs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  sargs=("$@")                       # script arguments: after the URL, behind "--"
  set -- "${opts[@]+"${opts[@]}"}" "$url"
  [ ${#sargs[@]} -gt 0 ] && set -- "$@" -- "${sargs[@]}"
  # shellcheck disable=SC2086
  pids=$(server_pids "$kind" "$pid")
  # shellcheck disable=SC2086
  idle=$(rss_kb VmRSS $pids)
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"$WARM" "$@" > "$OUT/wrk-$scen-$kind.warmup.txt" 2>&1 \
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
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$kind" "$rps" "$p50" "$p99" \
    "$reqs" "$err" "$idle" "$peak" "$hwm" >> "$RESULTS"
  printf '  %-18s %-8s %9s req/s  p50 %7.2f ms  p99 %7.2f ms  RSS %s -> %s MB%s\n' "$scen" "$kind" \
    "$rps" "$p50" "$p99" "$(mb "$idle")" "$(mb "$peak")" \
    "$([ "${err:-0}" -gt 0 ] && echo "  ($err socket errors)")" >&2
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
printf 'scenario\tserver\trps\tp50_ms\tp99_ms\trequests\tsocket_errors\trss_idle_kb\trss_peak_kb\trss_hwm_kb\n' > "$RESULTS"
START_ALL=$(now)

log "building the release binary (make)"
make -C "$ROOT" -j"$(nproc)" all > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log" >&2; die "make"; }
PROFILED="$ROOT/build/profiled"
GEN="$WORK/gen_tenant"
gcc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
    -Wmissing-prototypes -Wno-unused-parameter -Wvla -Wimplicit-fallthrough \
    -o "$GEN" "$BENCH/gen_tenant.c" || die "gcc gen_tenant.c"

# ---------------------------------------------------------------- 1k users: profiled vs nginx
make_dataset small "$SMALL" "$SAMPLE"
SMALL_DIR="$WORK/small"
SMALL_RANDOM="$RANDOM_TRIPLES"
start_profiled "$DB" warn "$WORK/profiled-small.log"
PROF_IDLE=$(rss_kb VmRSS "$PROF_PID")
P="/restapi/v2.1/accounts/$FIXED_ACC/users/$FIXED_UID/profile"
AUTH="Authorization: Bearer $FIXED_TOK"

log "capturing profiled's responses for nginx"
WWW="$WORK/nginx/www"
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
start_nginx
# shellcheck disable=SC2046
NGX_IDLE=$(rss_kb VmRSS $(server_pids nginx "$NGX_PID"))
for f in profile.json profile.xml image.png admin-email.json admin-list.json; do
  if ! curl -s -o "$WORK/check" "$NGX_URL/$f" || ! cmp -s "$WORK/check" "$WWW/$f"; then
    die "nginx does not serve $f as captured"
  fi
done
curl -s -o "$WORK/check" -X POST -H 'Content-Type: text/xml' --data-binary "$SOAP_ENV" "$NGX_URL/soap.xml" \
  && cmp -s "$WORK/check" "$WWW/soap.xml" || die "nginx does not serve soap.xml to a POST as captured"
log "response sizes: JSON $(stat -c %s "$WWW/profile.json") B ($JSON_TYPE), XML $(stat -c %s "$WWW/profile.xml") B ($XML_TYPE), image $(stat -c %s "$WWW/image.png") B ($IMAGE_TYPE)"

log "scenarios at $SMALL users (wrk -t$WRK_THREADS -c$CONNS -d$DUR, warm-up $WARM)"
run_wrk get-json profiled "$PROF_PID" "$PROF_URL$P" -H "$AUTH" -H "Accept: application/json"
run_wrk get-json nginx "$NGX_PID" "$NGX_URL/profile.json" -H "$AUTH" -H "Accept: application/json"
run_wrk get-xml profiled "$PROF_PID" "$PROF_URL$P" -H "$AUTH" -H "Accept: application/xml"
run_wrk get-xml nginx "$NGX_PID" "$NGX_URL/profile.xml" -H "$AUTH" -H "Accept: application/xml"
run_wrk get-image profiled "$PROF_PID" "$PROF_URL$P/image" -H "$AUTH"
run_wrk get-image nginx "$NGX_PID" "$NGX_URL/image.png" -H "$AUTH"
run_wrk soap-get-profile profiled "$PROF_PID" "$PROF_URL$SOAP_PATH" -H "$AUTH" -s "$BENCH/lua/soap.lua" -- "$FIXED_UID" "$FIXED_ACC"
run_wrk soap-get-profile nginx "$NGX_PID" "$NGX_URL/soap.xml" -H "$AUTH" -s "$BENCH/lua/soap.lua" -- "$FIXED_UID" "$FIXED_ACC"
run_wrk put-profile profiled "$PROF_PID" "$PROF_URL$P" -H "$AUTH" -s "$BENCH/lua/put.lua"
run_wrk put-profile nginx "$NGX_PID" "$NGX_URL/put" -H "$AUTH" -s "$BENCH/lua/put.lua"
run_wrk admin-email profiled "$PROF_PID" "$PROF_URL$A_EMAIL" -H "$ADM_AUTH"
run_wrk admin-email nginx "$NGX_PID" "$NGX_URL/admin-email.json" -H "$ADM_AUTH"
run_wrk admin-list profiled "$PROF_PID" "$PROF_URL$A_LIST" -H "$ADM_AUTH"
run_wrk admin-list nginx "$NGX_PID" "$NGX_URL/admin-list.json" -H "$ADM_AUTH"
run_wrk "random-$SMALL" profiled "$PROF_PID" "$PROF_URL" -H "Accept: application/json" \
  -s "$BENCH/lua/random.lua" -- "$SMALL_RANDOM"
run_wrk "random-any-$SMALL" profiled "$PROF_PID" "$PROF_URL" -H "Accept: application/json" \
  -s "$BENCH/lua/random_any.lua" -- "$ADMIN_TOKENS" "$PAIRS_FILE"
stop_pid "$NGX_PID"
stop_pid "$PROF_PID"

if [ "$MODE" = full ]; then
  log "request logging: get-json with --log-level info (one JSON line per request to a file)"
  start_profiled "$DB" info "$WORK/profiled-info.log"
  run_wrk get-json-loginfo profiled "$PROF_PID" "$PROF_URL$P" -H "$AUTH" -H "Accept: application/json"
  stop_pid "$PROF_PID"
  LOGINFO_LINES=$(grep -c '"msg":"request"' "$WORK/profiled-info.log" || true)
  log "  $LOGINFO_LINES request lines logged"
fi

# ---------------------------------------------------------------- N users
make_dataset large "$USERS" "$SAMPLE"
LARGE_DIR="$WORK/large"
start_profiled "$DB" warn "$WORK/profiled-large.log"
sleep 1
LARGE_IDLE=$(rss_kb VmRSS "$PROF_PID")
read -r line < "$RANDOM_TRIPLES"
read -r ra ru rt <<< "$line"
capture "$PROF_URL/restapi/v2.1/accounts/$ra/users/$ru/profile" "$WORK/check" "$WORK/h.check" \
  -H "Authorization: Bearer $rt"
log "scenarios at $USERS users"
run_wrk "random-$USERS" profiled "$PROF_PID" "$PROF_URL" -H "Accept: application/json" \
  -s "$BENCH/lua/random.lua" -- "$RANDOM_TRIPLES"
run_wrk "random-any-$USERS" profiled "$PROF_PID" "$PROF_URL" -H "Accept: application/json" \
  -s "$BENCH/lua/random_any.lua" -- "$ADMIN_TOKENS" "$PAIRS_FILE"
run_wrk "get-json-$USERS" profiled "$PROF_PID" "$PROF_URL$P" -H "Authorization: Bearer $FIXED_TOK" \
  -H "Accept: application/json"
run_wrk "admin-email-$USERS" profiled "$PROF_PID" "$PROF_URL$A_EMAIL" \
  -H "Authorization: Bearer $ADMIN_API_TOK"
LARGE_AFTER=$(rss_kb VmRSS "$PROF_PID")
stop_pid "$PROF_PID"
TOTAL_S=$(elapsed "$START_ALL")

# ---------------------------------------------------------------- report
if [ "$MODE" = full ]; then REPORT="$ROOT/docs/benchmarks.md"; CHART="$ROOT/docs/benchmarks.png"
else REPORT="$OUT/benchmarks.md"; CHART="$OUT/benchmarks.png"; fi
mkdir -p "$(dirname "$REPORT")"

# chart data: scenario, profiled rps, nginx rps (NaN where none)
awk -F'\t' 'NR > 1 { v[$1 FS $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  END { for (i = 1; i <= n; i++) { s = order[i]
          p = ((s FS "profiled") in v) ? v[s FS "profiled"] : "NaN"
          g = ((s FS "nginx") in v) ? v[s FS "nginx"] : "NaN"
          printf "\"%s\" %s %s\n", s, p, g } }' "$RESULTS" > "$OUT/chart.dat"
gnuplot > "$OUT/gnuplot.log" 2>&1 <<EOF || { cat "$OUT/gnuplot.log" >&2; die "gnuplot"; }
set terminal pngcairo size 1000,520 font "sans,10"
set output "$CHART"
set title "profiled vs nginx serving the same bytes (wrk -t$WRK_THREADS -c$CONNS -d$DUR, 127.0.0.1, $(nproc) CPUs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "requests/s"
set yrange [0:*]
set grid ytics
set key top right
set xtics nomirror rotate by -20
set datafile missing "NaN"
plot "$OUT/chart.dat" using 2:xtic(1) title "profiled" lc rgb "#2b6cb0", \
     "" using 3 title "nginx, static file" lc rgb "#a0aec0", \
     "" using (\$0 - 1/6.):2:(sprintf("%.0f", \$2)) with labels offset 0,0.6 font ",8" notitle, \
     "" using (\$0 + 1/6.):3:(sprintf("%.0f", \$3)) with labels offset 0,0.6 font ",8" notitle
EOF

machine_cpu=$(lscpu | awk -F: '/^Model name/ { sub(/^ +/, "", $2); print $2; exit }')
mem_gb=$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || rev="$rev, src/ modified"
read -r _ _ l_gen l_json l_imp l_db < "$LARGE_DIR/scale.tsv"
read -r _ _ s_gen s_json s_imp s_db < "$SMALL_DIR/scale.tsv"
l_imp_rss=$(cat "$LARGE_DIR/import.rss")

table() {                             # the per-scenario table from RESULTS
  awk -F'\t' '
    function mb(k) { return sprintf("%.1f", k / 1024) }
    NR > 1 { key = $1; rows[++n] = $0; if ($2 == "nginx") ng[key] = $3 }
    END {
      print "| scenario | server | requests/s | p50 ms | p99 ms | ratio to nginx | RSS before / peak during the run (MB) |"
      print "|---|---|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) {
        split(rows[i], f, "\t")
        r = (f[2] == "profiled" && (f[1] in ng) && ng[f[1]] > 0) ? sprintf("%.2f", f[3] / ng[f[1]]) : (f[2] == "nginx" ? "1" : "-")
        printf "| %s | %s | %d | %.2f | %.2f | %s | %s / %s |\n", f[1], f[2], f[3], f[4], f[5], r, mb(f[8]), mb(f[9])
      }
    }' "$RESULTS"
}
ms2() { awk -F'\t' -v s="$1" '$1 == s && $2 == "profiled" { printf "%.2f / %.2f", $4, $5 }' "$RESULTS"; }
commas() { awk -v n="$1" 'BEGIN { s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } printf "%s%s", n, s }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
result() { awk -F'\t' -v s="$1" -v k="$2" -v c="$3" '$1 == s && $2 == k { print $c }' "$RESULTS"; }

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
  echo "- Load generator, profiled and nginx share the same $(nproc) CPUs over loopback: absolute numbers are lower than on separate machines; the ratio is what matters."
  echo
  echo "![profiled vs nginx requests/s]($(basename "$CHART"))"
  echo
  echo "## Throughput and latency"
  echo
  echo "Database of $SMALL users unless the scenario name ends in a user count. One authenticated user (account admin, has a $(stat -c %s "$WWW/image.png")-byte PNG) unless the scenario says random."
  echo "nginx serves the exact body bytes profiled returned for the same request ($(stat -c %s "$WWW/profile.json") B JSON, $(stat -c %s "$WWW/profile.xml") B XML, $(stat -c %s "$WWW/image.png") B PNG) from static files, with the same Content-Type; for PUT it answers 200 with an empty body, like profiled, without storing anything."
  echo
  table
  echo
  echo "- get-json / get-xml: \`GET /restapi/v2.1/accounts/{acc}/users/{uid}/profile\` with \`Accept: application/json\` / \`application/xml\`."
  echo "- get-image: \`GET …/profile/image\` (PNG, ETag, Cache-Control)."
  echo "- soap-get-profile: SOAP 1.1 \`GetUserProfile\` (seed 003) \`POST /api/3.0/accountmanagement.asmx\` with a Bearer token ($(stat -c %s "$WWW/soap.xml") B answer); nginx answers the same POST with the captured envelope."
  echo "- put-profile: \`PUT …/profile\` with a ~80-byte JSON change of the job title (a real write: one SQLite transaction per request, WAL, synchronous=NORMAL)."
  echo "- random-N: \`GET …/profile\` of a random user per request among $SAMPLE users sampled from N, each reading their own profile with their own token (a working set that fits profiled's caches)."
  echo "- random-any-N: \`GET …/profile\` of a random user among $(commas "$PAIRS") drawn from all N users (with replacement), read by the admin of the user's account (one token per account): at 1M users the working set is far larger than the caches."
  echo "- admin-email: Admin API \`GET /Management/v2/organizations/{org}/users/profile?email=…\` (the drilldown record: memberships, groups, identities), by the organization's administrator with a \`user_read\` token; admin-email-N the same on the large database (one unique-index lookup among N users)."
  echo "- admin-list: Admin API \`GET /Management/v2/organizations/{org}/users?start=100&take=20\` (a page of 20 of the organization's 1,000 users, with the total and absolute next/previous links)."
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
  echo "| profiled RSS at idle (after start) | $(mb "$PROF_IDLE") MB | $(mb "$LARGE_IDLE") MB |"
  echo "| profiled RSS under load (peak VmRSS / VmHWM) | $(mb "$(result "random-any-$SMALL" profiled 9)") / $(mb "$(result "random-any-$SMALL" profiled 10)") MB | $(mb "$(result "random-any-$USERS" profiled 9)") / $(mb "$(result "random-any-$USERS" profiled 10)") MB |"
  echo "| profiled RSS after the load | | $(mb "$LARGE_AFTER") MB |"
  echo
  echo "nginx (2 workers + master) RSS at idle: $(mb "$NGX_IDLE") MB. The import runs in one transaction; passwords are pre-hashed (\`passwordHash\`), since Argon2id hashing is deliberately slow. Each user has a ~1.4 KB profile (addresses, two authentication methods, usage history, custom and user settings) and one membership; $( [ "$USERS" -ge 1000 ] && echo "1000 users per account" || echo "one account")."
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
  echo "nginx -p DIR -c DIR/nginx.conf                 # bench/nginx.conf.in: $THREADS workers, access_log off"
  echo "wrk -t$WRK_THREADS -c$CONNS -d$WARM URL                     # warm-up, not reported"
  echo "wrk -t$WRK_THREADS -c$CONNS -d$DUR --latency -H 'Authorization: Bearer TOKEN' -H 'Accept: application/json' URL"
  echo "wrk … -s bench/lua/put.lua URL                 # PUT profile"
  echo "wrk … -s bench/lua/random.lua URL -- TRIPLES   # random users, own tokens"
  echo "wrk … -s bench/lua/random_any.lua URL -- ADMIN_TOKENS PAIRS   # any user, admin tokens"
  echo '```'
  echo
  echo "RSS is VmRSS / VmHWM from /proc/PID/status (nginx: master + workers), sampled every 0.25 s during each run. Raw wrk outputs: bench/out/wrk-*.txt, all numbers: bench/out/results.tsv. Whole run: ${TOTAL_S} s."
} > "$REPORT"

log "done in ${TOTAL_S}s: $REPORT, $CHART"
echo
column -t -s $'\t' "$RESULTS"
