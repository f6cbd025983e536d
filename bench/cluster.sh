# bench/cluster.sh - the cluster scenarios of the benchmark (issue 11),
# sourced by `bench/run.sh --cluster` after its setup (build, gen_tenant,
# helpers, the EXIT trap that stops every PID in PIDS); not run on its own.
#
# One data set of N users (quick: $SMALL; full: $CLUSTER_USERS, default
# $USERS) imported into SQLite and into a throwaway PostgreSQL
# (scripts/pg-tmp.sh), tokens minted on each, then:
#   pg-vs-sqlite  cached GET profile of one user: the same node on SQLite and
#                 on PostgreSQL, back to back (target: PostgreSQL within 10 %)
#   random-any    cache-missing reads (random users, admin tokens) on each
#   put           PUT profile on each: one user (put-profile) and users
#                 spread over the data set by their admins (put-any)
#   cluster       three PostgreSQL nodes behind nginx (contrib config via
#                 scripts/nginx-front.sh): throughput and p99 of cached GET
#   cluster-stop  the same while one node is stopped (SIGTERM) halfway
#                 through: non-2xx answers and socket errors are counted,
#                 not fatal
# Results go to RESULTS like the other scenarios and to
# $OUT/cluster.md; in full mode also to docs/benchmarks-cluster.md, which
# the full report (docs/benchmarks.md) includes.  Numbers on a shared 2-core machine are noisy.

PGTMP="$ROOT/scripts/pg-tmp.sh"
PG_DIR=""
cluster_cleanup_pg() {
  if [ -n "$PG_DIR" ]; then
    "$PGTMP" stop "$PG_DIR" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}

# a free port below the kernel's ephemeral range (32768-60999), so a node
# started later on port 0 cannot take it
low_free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# start_node URL LOGFILE [extra serve args]: sets NODE_PID NODE_PORT NODE_URL
start_node() {
  local db="$1" logf="$2" outf; shift 2
  outf="$logf.stdout"
  : > "$outf"
  "$PROFILED" serve --listen 127.0.0.1 --port 0 --db "$db" --threads "$THREADS" \
      --rate-limit-hourly 0 --rate-limit-burst 0 \
      --rate-limit-anonymous-hourly 0 --rate-limit-anonymous-burst 0 \
      --log-level warn "$@" > "$outf" 2> "$logf" &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  NODE_PORT=""
  for _ in $(seq 1 200); do
    NODE_PORT=$(sed -n 's#^profiled: listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$outf")
    [ -n "$NODE_PORT" ] && break
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$logf" >&2; die "profiled ($db) did not start"; }
    sleep 0.05
  done
  [ -n "$NODE_PORT" ] || die "profiled did not print its port"
  NODE_URL="http://127.0.0.1:$NODE_PORT"
}

# mint_tokens DB IN OUT: "acc uid" lines -> "acc uid token" (OUT2COLS=1: "acc token")
mint_tokens() {
  local db="$1" in="$2" out="$3" acc uid tok
  : > "$out"
  while read -r acc uid; do
    tok=$("$PROFILED" token --user "$uid" --db "$db" --ttl 86400) || die "token for $uid ($db)"
    if [ "${OUT2COLS:-0}" = 1 ]; then printf '%s %s\n' "$acc" "$tok" >> "$out"
    else printf '%s %s %s\n' "$acc" "$uid" "$tok" >> "$out"; fi
  done < "$in"
}

# wrk_counted SCEN KIND URL [wrk args...]: one run that may see failures;
# appends to RESULTS and prints non-2xx + socket errors
wrk_counted() {
  local scen="$1" kind="$2" url="$3" f; shift 3
  f="$OUT/wrk-$scen-$kind.txt"
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DUR" --latency "$@" "$url" > "$f" 2>&1 || { cat "$f" >&2; die "wrk $scen"; }
  read -r rps p50 p99 reqs bad err < <(wrk_parse "$f")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$kind" "$rps" "$p50" "$p99" "$reqs" "$err" 0 0 0 >> "$RESULTS"
  printf '  %-18s %-14s %9s req/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %s  socket errors %s\n' \
    "$scen" "$kind" "$rps" "$p50" "$p99" "${bad:-0}" "${err:-0}" >&2
  CNT_BAD=${bad:-0}; CNT_ERR=${err:-0}; CNT_REQS=${reqs:-0}
}

cluster_bench() {
  local n="$SMALL" d="$WORK/cluster" json sqlite_db pg_db p port k pids=() node_ports=() ngx_port
  [ "$MODE" = full ] && n="${CLUSTER_USERS:-$USERS}"
  mkdir -p "$d"
  json="$d/tenant.json"
  log "cluster: generating $n users"
  "$GEN" --users "$n" --output "$json" --sample "$SAMPLE" --sample-output "$d/sample.txt" \
      --admins-output "$d/admins.txt" --pairs "$PAIRS" --pairs-output "$d/pairs.txt" \
      --png-output "$d/avatar.png" --orgs-output "$d/orgs.txt" 2>/dev/null || die "gen_tenant"

  # ---- the two databases
  sqlite_db="sqlite:$d/profiled.db"
  "$PROFILED" import "$json" --db "$sqlite_db" > "$d/import-sqlite.out" 2>&1 || { cat "$d/import-sqlite.out" >&2; die "import sqlite"; }
  PG_DIR=$(mktemp -d /tmp/profiled-bench-pg.XXXXXX)
  chmod 0755 "$PG_DIR"
  # run.sh's EXIT trap stops the PIDs; PostgreSQL (pg_ctl daemonizes) is ours
  trap 'rc=$?; cluster_cleanup_pg; (exit $rc); cleanup' EXIT
  port=""
  for _ in 1 2 3; do
    p=$(low_free_port) || die "no free port"
    if "$PGTMP" start "$PG_DIR" "$p" > /dev/null 2> "$d/pg.err"; then port=$p; break; fi
  done
  [ -n "$port" ] || { cat "$d/pg.err" >&2; die "PostgreSQL did not start"; }
  pg_db=$("$PGTMP" url "$PG_DIR" "$port" bench)
  local t0; t0=$(now)
  "$PROFILED" import "$json" --db "$pg_db" > "$d/import-pg.out" 2>&1 || { cat "$d/import-pg.out" >&2; die "import postgresql"; }
  log "cluster: imported $n users into PostgreSQL in $(elapsed "$t0") s"
  rm -f "$json"
  for b in sqlite pg; do
    local db; [ "$b" = sqlite ] && db="$sqlite_db" || db="$pg_db"
    mint_tokens "$db" "$d/sample.txt" "$d/triples-$b.txt"
    OUT2COLS=1 mint_tokens "$db" "$d/admins.txt" "$d/admins-$b.txt"
  done

  # ---- the same node on SQLite and on PostgreSQL, back to back
  local acc uid tok
  for b in sqlite pg; do
    local db; [ "$b" = sqlite ] && db="$sqlite_db" || db="$pg_db"
    read -r acc uid tok < "$d/triples-$b.txt"
    start_node "$db" "$d/node-$b.log"
    capture "$NODE_URL/restapi/v2.1/accounts/$acc/users/$uid/profile" "$d/check-$b.json" "$d/h-$b" \
      -H "Authorization: Bearer $tok" -H "Accept: application/json"
    run_wrk "cached-get-$b" profiled "$NODE_PID" "$NODE_URL/restapi/v2.1/accounts/$acc/users/$uid/profile" \
      -H "Authorization: Bearer $tok" -H "Accept: application/json"
    run_wrk "random-any-$n-$b" profiled "$NODE_PID" "$NODE_URL" -H "Accept: application/json" \
      -s "$BENCH/lua/random_any.lua" -- "$d/admins-$b.txt" "$d/pairs.txt"
    # writes: one user, then users spread over the data set by their admins
    # (the write queue's group commit on either backend)
    run_wrk "put-profile-$b" profiled "$NODE_PID" "$NODE_URL/restapi/v2.1/accounts/$acc/users/$uid/profile" \
      -H "Authorization: Bearer $tok" -s "$BENCH/lua/put.lua"
    run_wrk "put-any-$n-$b" profiled "$NODE_PID" "$NODE_URL" \
      -s "$BENCH/lua/random_any.lua" -- "$d/admins-$b.txt" "$d/pairs.txt" /restapi/v2.1 put
    stop_pid "$NODE_PID"
  done
  cmp -s "$d/check-sqlite.json" "$d/check-pg.json" || log "note: the two backends' answers differ (ids/dates)"

  # ---- three PostgreSQL nodes behind nginx
  ngx_port=$(low_free_port) || die "no free port for nginx"
  for k in 1 2 3; do
    start_node "$pg_db" "$d/cnode-$k.log" --trusted-proxies 127.0.0.1 --per-ip-connections 1024 \
      --public-url "http://127.0.0.1:$ngx_port"
    pids+=("$NODE_PID"); node_ports+=("$NODE_PORT")
  done
  "$ROOT/scripts/nginx-front.sh" render "$d/nginx" "$ngx_port" "${node_ports[@]}"
  "$ROOT/scripts/nginx-front.sh" run "$d/nginx" 2> "$d/nginx.stderr" &
  local ngx_pid=$!
  PIDS+=("$ngx_pid")
  read -r acc uid tok < "$d/triples-pg.txt"
  local purl="http://127.0.0.1:$ngx_port/restapi/v2.1/accounts/$acc/users/$uid/profile"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null -H "Authorization: Bearer $tok" "$purl" && break
    sleep 0.05
  done
  capture "$purl" "$d/check-cluster.json" "$d/h-cluster" -H "Authorization: Bearer $tok" -H "Accept: application/json"
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"$WARM" -H "Authorization: Bearer $tok" "$purl" > /dev/null 2>&1 || true
  wrk_counted cluster-3-nodes nginx+3xpg "$purl" -H "Authorization: Bearer $tok" -H "Accept: application/json"
  local base_bad=$CNT_BAD base_err=$CNT_ERR

  # one node stopped halfway through the run
  local half; half=$(awk -v d="${DUR%s}" 'BEGIN { printf "%.1f", d / 2 }')
  ( sleep "$half"; kill -TERM "${pids[1]}" 2>/dev/null ) &
  local killer=$!
  wrk_counted cluster-node-stopped nginx+3xpg "$purl" -H "Authorization: Bearer $tok" -H "Accept: application/json"
  wait "$killer" 2>/dev/null || true
  wait "${pids[1]}" 2>/dev/null || true
  forget_pid "${pids[1]}"
  local stop_bad=$CNT_BAD stop_err=$CNT_ERR stop_reqs=$CNT_REQS
  stop_pid "$ngx_pid"
  for k in 0 2; do stop_pid "${pids[$k]}"; done
  cluster_cleanup_pg

  # ---- report
  local r_sq r_pg
  r_sq=$(awk -F'\t' '$1 == "cached-get-sqlite" { print $3 }' "$RESULTS")
  r_pg=$(awk -F'\t' '$1 == "cached-get-pg" { print $3 }' "$RESULTS")
  {
    echo "# profiled cluster benchmark ($MODE mode, $(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "$n users; wrk -t$WRK_THREADS -c$CONNS -d$DUR; profiled --threads $THREADS per node; PostgreSQL $(ls -d /usr/lib/postgresql/*/ 2>/dev/null | sort -rV | head -1 | xargs basename) (Debian's package) in a temporary directory (fsync on); all on one machine ($(nproc) CPUs) over loopback. Numbers on a shared machine are noisy."
    echo
    echo "| scenario | server | requests/s | p50 ms | p99 ms |"
    echo "|---|---|---:|---:|---:|"
    awk -F'\t' '$1 ~ /^(cached-get-|random-any-.*-(sqlite|pg)$|put-profile-(sqlite|pg)$|put-any-.*-(sqlite|pg)$|cluster-)/ { printf "| %s | %s | %d | %.2f | %.2f |\n", $1, $2, $3, $4, $5 }' "$RESULTS"
    echo
    echo "- PostgreSQL node's cached GET vs the same node on SQLite: $(awk -v a="$r_pg" -v b="$r_sq" 'BEGIN { if (b > 0) printf "%.0f %%", a * 100 / b; else print "?" }') (target: at least 90 %)."
    echo "- Three nodes behind nginx: non-2xx $base_bad, socket errors $base_err."
    echo "- One node stopped (SIGTERM) after $half s of $DUR: $stop_reqs requests, non-2xx $stop_bad, socket errors $stop_err."
  } > "$OUT/cluster.md"
  # full mode: the report docs/benchmarks.md includes it (section "PostgreSQL and cluster")
  [ "$MODE" = full ] && cp "$OUT/cluster.md" "$ROOT/docs/benchmarks-cluster.md"
  log "cluster: $OUT/cluster.md"
  cat "$OUT/cluster.md" >&2
}
