#!/usr/bin/env bash
# Runs every test: unit tests (cmocka) and integration tests (node --test,
# official SDKs against the real binary), first on the release build, then
# again with AddressSanitizer + UndefinedBehaviorSanitizer (SQLite), then the
# PostgreSQL unit tests and the integration suite on the release build
# against a throwaway PostgreSQL (SKIP_POSTGRES=1 leaves that out).
# Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "=== layering (docs/design.md)"
scripts/check-layers.sh || status=1
echo "=== build (release)"
make -j"$jobs" all build/libprofiled.a
echo "=== unit tests (release)"
make -j"$jobs" unit 2>&1 | tee -a "$log" || status=1
echo "=== integration tests (release)"
PROFILED_BIN="$PWD/build/profiled" node --test --test-concurrency=1 tests/integration/ 2>&1 | tee -a "$log" || status=1

if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "=== build (ASan+UBSan)"
  make -j"$jobs" SANITIZE=1 all
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  echo "=== unit tests (ASan+UBSan)"
  make -j"$jobs" SANITIZE=1 unit 2>&1 | tee -a "$log" || status=1
  echo "=== integration tests (ASan+UBSan)"
  PROFILED_BIN="$PWD/build-san/profiled" node --test --test-concurrency=1 tests/integration/ 2>&1 | tee -a "$log" || status=1
fi

# PostgreSQL: a throwaway server from Debian's package (scripts/pg-tmp.sh),
# the unit tests that need one, and the whole integration suite on the
# release build against it.  The sanitizer pass above stays on SQLite.
if [ "${SKIP_POSTGRES:-0}" != 1 ]; then
  echo "=== PostgreSQL (throwaway server)"
  pgdir=$(mktemp -d /tmp/profiled-pg-XXXXXX)
  trap 'scripts/pg-tmp.sh stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir" "$log"' EXIT
  pgport=""
  for try in 1 2 3 4 5; do
    p=$((20000 + RANDOM % 30000))
    if scripts/pg-tmp.sh start "$pgdir" "$p"; then pgport=$p; break; fi
  done
  if [ -z "$pgport" ]; then
    echo "run-tests: cannot start PostgreSQL"; status=1
  else
    echo "=== unit tests (release, PostgreSQL)"
    for t in build/tests/store/test_pg*; do
      [ -x "$t" ] || continue
      echo "== $t"
      PROFILED_REQUIRE_PG=1 PROFILED_TEST_PG_URL="$(scripts/pg-tmp.sh url "$pgdir" "$pgport")" \
        "./$t" 2>&1 | tee -a "$log" || status=1
    done
    echo "=== integration tests (release, PostgreSQL)"
    PROFILED_BIN="$PWD/build/profiled" PROFILED_TEST_DB=postgres PROFILED_TEST_PG="127.0.0.1:$pgport" \
      node --test --test-concurrency=1 tests/integration/ 2>&1 | tee -a "$log" || status=1
    scripts/pg-tmp.sh stop "$pgdir" || true
  fi
fi

# one closing line over everything: cmocka's "[  PASSED  ] N test(s)" /
# "[  FAILED  ] N test(s)," and node's "# pass N" / "# fail N"
passed=$(awk '/^\[  PASSED  \] [0-9]+ test/ {s += $4} /^# pass [0-9]+$/ {s += $3} END {print s + 0}' "$log")
failed=$(awk '/^\[  FAILED  \] [0-9]+ test\(s\),/ {s += $4} /^# fail [0-9]+$/ {s += $3} END {print s + 0}' "$log")
if [ "$failed" -gt 0 ]; then status=1; fi
if [ $status -ne 0 ]; then
  echo "run-tests: FAILED"
else
  echo "run-tests: all passed"
fi
echo "tests: $passed passed, $failed failed"
exit $status
