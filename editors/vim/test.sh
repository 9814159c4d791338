#!/usr/bin/env bash
# Checks editors/vim with a headless Vim:
#   1. the syntax groups asserted in test/syntax.wf (and that the ftplugin's settings apply),
#   2. every example and stdlib module: no error group in these valid files, no syntax region
#      left open at the end, and `gg=G` (indent/wf.vim) changes no line.
# Skipped, with a message, when vim is not installed.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

if ! command -v vim >/dev/null 2>&1; then
  echo "vim not found: skipping the Vim syntax tests"
  exit 0
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
check() {
  local status=0
  : > "$out"
  WF_VIM_TEST_OUT="$out" vim -u NONE -i NONE -N -es -S test/run.vim -- "$@" </dev/null >/dev/null 2>&1 || status=$?
  cat "$out"
  if [ ! -s "$out" ]; then
    echo "vim exited with status $status without a report" >&2
    return 1
  fi
  return "$status"
}

echo "-- vim syntax assertions"
check test/syntax.wf

echo "-- vim: examples and stdlib"
shopt -s nullglob
check --examples "$root"/examples/*.wf "$root"/examples/*/*.wf "$root"/stdlib/*.wf "$root"/stdlib/*/*.wf
