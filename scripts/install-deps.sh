#!/usr/bin/env bash
# Installs the Debian packages profiled needs to build, run and test, and the
# npm test clients (from the committed lockfile). Only what is missing.
# Usage: scripts/install-deps.sh [--runtime-only]
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
            libsodium-dev libxml2-dev libgnutls28-dev libpq-dev sqlite3 ca-certificates)
test_pkgs=(libcmocka-dev nodejs npm curl chromium clang postgresql nginx-light)

want=("${build_pkgs[@]}")
[ "${1:-}" = "--runtime-only" ] || want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere than Debian's packages: accept what is on PATH
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "${1:-}" != "--runtime-only" ]; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "install-deps: the tests need Node.js 20 or newer (found $(node --version 2>/dev/null || echo none));" >&2
    echo "install-deps: Debian 12's nodejs package is 18.x - put a Node.js 20 on PATH and run again" >&2
    exit 1
  fi
fi
if [ "${1:-}" != "--runtime-only" ] && [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
