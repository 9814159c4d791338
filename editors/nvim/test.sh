#!/usr/bin/env bash
# Checks the Neovim snippets with a headless Neovim and the real `wf lsp`: the snippet for the
# Neovim installed (lsp-0.7.lua before 0.10, lsp-0.10.lua from 0.10; Debian 12's is 0.7.2),
# opening a file with an error must bring wf's diagnostic, and go to definition must open the
# standard library's read-only `wf-std:` buffer (test/run.lua). Both snippets must parse.
#
#   bash editors/nvim/test.sh [path/to/wf]     # default: target/debug/wf, built if missing
#
# Skipped, with a message, when nvim is not installed (.ci/run installs it).
set -euo pipefail
# The binary's path is relative to where the script was started from.
if [ $# -gt 0 ]; then
  [ -x "$1" ] || { echo "no wf binary at $1" >&2; exit 1; }
  wf="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
fi
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

if ! command -v nvim >/dev/null 2>&1; then
  echo "nvim not found: skipping the Neovim language server tests"
  exit 0
fi

if [ -z "${wf:-}" ]; then
  wf="$root/target/debug/wf"
  if [ ! -x "$wf" ]; then
    (cd "$root" && cargo build --quiet --bin wf)
  fi
fi

version="$(nvim --version | head -n 1)"
minor="$(printf '%s\n' "$version" | sed -n 's/^NVIM v0\.\([0-9]*\).*/\1/p')"
snippets=(lsp-0.7.lua)
if [ -n "$minor" ] && [ "$minor" -ge 10 ]; then
  snippets=(lsp-0.10.lua)
fi

# Both snippets must at least be valid Lua for this Neovim's LuaJIT (the other one is not run).
for snippet in lsp-*.lua; do
  nvim --headless -u NONE -i NONE -n \
    -c "lua local ok, err = loadfile('$snippet'); if not ok then io.stderr:write(err, '\\n'); vim.cmd('cquit 1') end" \
    -c "qall!" </dev/null || { echo "$snippet does not parse" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp test/broken.wf "$work/broken.wf"
for snippet in "${snippets[@]}"; do
  echo "-- $version: $snippet"
  status=0
  WF_NVIM_TEST_OUT="$work/report" WF_BIN="$wf" WF_NVIM_SNIPPET="$PWD/$snippet" WF_NVIM_FILE="$work/broken.wf" \
    timeout 120 nvim --headless -u NONE -i NONE -n -c "luafile test/run.lua" </dev/null >"$work/log" 2>&1 || status=$?
  cat "$work/report" 2>/dev/null || true
  if [ "$status" -ne 0 ] || [ ! -s "$work/report" ] || grep -q '^FAIL' "$work/report"; then
    echo "nvim exited with status $status; its output:" >&2
    cat "$work/log" >&2
    exit 1
  fi
done
