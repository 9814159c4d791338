#!/usr/bin/env bash
# diag_guard.sh: records what `wf check` (every --format) and `wf fmt --stdin` print for every
# .wf file in tests/fixtures/, examples/ and stdlib/ (and generated benchmark files), so that a
# change meant to be invisible — a faster parser — can be shown to change no byte of output.
#
#   tools/diag_guard.sh OLD_WF /tmp/before     # record with the binary before the change
#   tools/diag_guard.sh NEW_WF /tmp/after      # and after
#   diff -r /tmp/before /tmp/after && echo identical
set -euo pipefail
wf="$(realpath "$1")"
out="$2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rm -rf "$out"
mkdir -p "$out"
cd "$root"
# A fixed folder: the file names are part of the output.
gen=/tmp/wf-diag-guard-gen
mkdir -p "$gen"
for n in 10 200 1000; do python3 benches/gen_workflow.py "$n" "$gen/gen-$n.wf"; done
# Broken variants of a generated file: cut short at several places, so recovery is exercised too.
for cut in 97 1000 4321 20000 33333; do head -c "$cut" "$gen/gen-1000.wf" >"$gen/cut-$cut.wf"; done
{ find tests/fixtures examples stdlib -name '*.wf' | sort; ls "$gen"/*.wf; } | while read -r f; do
  key="$(echo "$f" | sed 's|^/||; s|/|__|g')"
  for format in human short json github sarif; do
    { "$wf" check --allow-outside-project --format "$format" "$f" 2>&1; echo "exit $?"; } >"$out/$key.check-$format" || true
  done
  { "$wf" fmt --stdin <"$f" 2>&1; echo "exit $?"; } >"$out/$key.fmt" || true
done
rm -rf "$gen"
echo "recorded $(ls "$out" | wc -l) outputs in $out"
