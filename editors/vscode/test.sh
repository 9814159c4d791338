#!/usr/bin/env bash
# Editor support checks: installs the extension's pinned dependencies, then
#   1. checks that syntaxes/wf.tmLanguage.json is what scripts/build-grammar.mjs generates,
#   2. runs the grammar unit tests (tests/*.test.wf, vscode-tmgrammar-test assertions),
#   3. checks that the harness fails on a wrong assertion (so a broken setup cannot pass),
#   4. tokenizes every example and stdlib module (no `invalid` scopes in valid files, every
#      reserved word scoped as a keyword, no region left open at the end of a file),
#   5. type-checks and compiles the VS Code client (npm run compile).
# Needs Node.js 18+ and npm with access to the npm registry.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

echo "-- npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "-- grammar is up to date"
node scripts/build-grammar.mjs --check

echo "-- grammar unit tests"
shopt -s nullglob
tests=(tests/*.test.wf)
if [ "${#tests[@]}" -eq 0 ]; then
  echo "no grammar tests found under tests/" >&2
  exit 1
fi
npx --no-install vscode-tmgrammar-test --compact "tests/*.test.wf"

echo "-- a wrong assertion fails"
canary="$(mktemp -d)"
trap 'rm -rf "$canary"' EXIT
printf '%s\n' '// SYNTAX TEST "source.wf"' 'const x = 5m' '//        ^^ constant.numeric.money.wf' > "$canary/wrong.test.wf"
if npx --no-install vscode-tmgrammar-test --compact "$canary/wrong.test.wf" >/dev/null 2>&1; then
  echo "the grammar test harness passed a wrong assertion" >&2
  exit 1
fi

echo "-- examples and stdlib"
examples=("$root"/examples/*.wf "$root"/examples/*/*.wf "$root"/stdlib/*.wf "$root"/stdlib/*/*.wf)
if [ "${#examples[@]}" -eq 0 ]; then
  echo "no .wf files found under examples/ and stdlib/" >&2
  exit 1
fi
node scripts/tokenize.mjs --check "${examples[@]}"

echo "-- compile the client"
npm run --silent compile
