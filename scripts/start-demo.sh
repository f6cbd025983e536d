#!/usr/bin/env bash
# Starts profiled on 127.0.0.1:8080 with a SQLite file in data/run/ and the
# demo tenant loaded (on first start). Prints the URL and a demo token.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data/run
exec build/profiled serve --listen 127.0.0.1 --port "${PROFILED_PORT:-8080}" \
     --https-port "${PROFILED_HTTPS_PORT:-8443}" --data-dir data/run \
     --db "sqlite:data/run/profiled.db" --demo "$@"
