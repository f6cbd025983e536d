#!/usr/bin/env bash
# Checks the layering of docs/design.md: every #include "FOLDER/..." in
# src/X/ must name X itself or a folder X may use.  Prints each violation
# and exits 1 when there is one; `make layers` and `make check` run it.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A may=(
  [core]=""
  [codec]="core"
  [store]="core"
  [model]="core store"
  [auth]="core store"
  [http]="core codec store auth"
  [esign]="core codec store model auth http"
  [oauth]="core codec store model auth http"
  [admin]="core codec store model auth http"
  [soap]="core codec store model auth http"
  [pages]="core codec store model auth http"
  [control]="core codec store model auth http"
  [cli]="core codec store model auth http esign oauth admin soap pages control"
)

bad=0
for dir in src/*/; do
  folder=$(basename "$dir")
  if [ -z "${may[$folder]+set}" ]; then
    echo "layers: src/$folder/ is not in the map of docs/design.md (add it there and here)"
    bad=1
    continue
  fi
  while IFS=: read -r file line inc; do
    used=${inc#*\"}; used=${used%%/*}
    [ "$used" = "$folder" ] && continue
    case " ${may[$folder]} " in
      *" $used "*) ;;
      *) echo "layers: $file:$line includes $used/ (src/$folder/ may use: ${may[$folder]:-nothing of ours})"; bad=1 ;;
    esac
  done < <(grep -nE '^#include "[a-z]+/' "$dir"*.[ch] 2>/dev/null | sed -E 's/^([^:]+):([0-9]+):(.*)$/\1:\2:\3/')
done
loose=$(find src -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) ! -name main.c)
if [ -n "$loose" ]; then
  echo "layers: source files directly in src/ rather than in a folder: $loose"
  bad=1
fi
[ $bad -eq 0 ] && echo "layers: ok (every include follows docs/design.md)"
exit $bad
