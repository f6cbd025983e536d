#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and demos, from Debian's
# `postgresql` package, in a directory of its own, listening on 127.0.0.1
# only (and on a unix socket inside the directory).
#
#   scripts/pg-tmp.sh start DIR PORT          initdb DIR/data (first time) and start it
#   scripts/pg-tmp.sh stop DIR                stop it (fast shutdown)
#   scripts/pg-tmp.sh url DIR PORT [DBNAME]   print a postgresql:// URL; with DBNAME,
#                                             create that database first (if missing)
#
# Authentication: trust, for the superuser "postgres", on 127.0.0.1 and the
# socket only - a test server, never a production one.  fsync stays on (the
# durability tests rely on it).  Run as root, the server runs as the
# unprivileged user `nobody` (initdb refuses root); DIR is then owned by it.
# Server log: DIR/server.log.
set -euo pipefail

die() { echo "pg-tmp: $*" >&2; exit 2; }

bindir=""
for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
  if [ -x "$d/initdb" ]; then bindir=$d; break; fi
done
[ -n "$bindir" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

check_port() {
  case "$1" in ''|*[!0-9]*) die "PORT must be a number, not '$1'";; esac
  [ "$1" -ge 1024 ] && [ "$1" -le 65535 ] || die "PORT must be in 1024..65535"
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg-tmp.sh start DIR PORT | stop DIR | url DIR PORT [DBNAME]"

case "$cmd" in
start)
  port=${3:-}; check_port "$port"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ "${#dir}" -lt 90 ] || die "DIR path too long for a unix socket: $dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody: "$dir"
    chmod 0700 "$dir"
    # the server must reach DIR through its parents
    p=$(dirname "$dir")
    while [ "$p" != / ]; do
      runuser -u nobody -- test -x "$p" || die "user nobody cannot enter $p (use a DIR under /tmp)"
      p=$(dirname "$p")
    done
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=on" \
    start >/dev/null || { tail -20 "$dir/server.log" >&2; die "the server did not start"; }
  echo "pg-tmp: PostgreSQL ($("$bindir/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port, data in $dir/data"
  ;;
stop)
  [ -f "$dir/data/postmaster.pid" ] || exit 0
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  ;;
url)
  port=${3:-}; check_port "$port"
  db=${4:-postgres}
  case "$db" in ''|*[!a-z0-9_]*) die "DBNAME must be lower-case letters, digits and _";; esac
  if [ "$db" != postgres ]; then
    if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
         "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db" 2>/dev/null \
        || "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
             "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
        || die "cannot create database $db"
    fi
  fi
  echo "postgresql://postgres@127.0.0.1:$port/$db"
  ;;
*)
  die "unknown command '$cmd' (start, stop, url)"
  ;;
esac
