#!/usr/bin/env bash
# Editor support checks: installs the extension's pinned dependencies, then
#   1. checks that syntaxes/wf.tmLanguage.json is what scripts/build-grammar.mjs generates,
#   2. runs the grammar unit tests (tests/*.test.wf, vscode-tmgrammar-test assertions),
#   3. checks that the harness fails on a wrong assertion (so a broken setup cannot pass),
#   4. tokenizes every example and stdlib module (no `invalid` scopes in valid files, every
#      reserved word scoped as a keyword, no region left open at the end of a file),
#   5. type-checks and compiles the VS Code client (npm run compile),
#   6. packages the extension with vsce into a .vsix and checks what it holds: the grammar,
#      the package.json contributing it for .wf files, the client and its runtime dependency,
#   7. loads the packaged client against a stub of the VS Code API (test/client.test.js):
#      it must start `wf lsp` over stdio and read `wf-std:` documents from the server.
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

echo "-- package the extension (vsce)"
# The .vsix goes to a temporary folder: package.json's `vscode:prepublish` compiles again.
vsix="$canary/wf-lang.vsix"
npx --no-install vsce package --allow-missing-repository --skip-license --out "$vsix"

echo "-- the .vsix installs the grammar and the client"
unpacked="$canary/unpacked"
python3 - "$vsix" "$unpacked" <<'PY'
import json, sys, zipfile
vsix, into = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(vsix) as archive:
    names = set(archive.namelist())
    archive.extractall(into)
def need(condition, what):
    if not condition:
        sys.exit(f"the .vsix {what}")
need("extension.vsixmanifest" in names, "has no extension.vsixmanifest")
manifest = json.load(open(f"{into}/extension/package.json"))
grammars = manifest["contributes"]["grammars"]
need(any(g["language"] == "wf" and g["scopeName"] == "source.wf" for g in grammars), "contributes no source.wf grammar")
for grammar in grammars:
    path = "extension/" + grammar["path"].removeprefix("./")
    need(path in names, f"lacks the grammar {path}")
    need(open(f"{into}/{path}", "rb").read() == open("syntaxes/wf.tmLanguage.json", "rb").read(), "holds a stale grammar")
need(any(".wf" in l.get("extensions", []) for l in manifest["contributes"]["languages"]), "does not claim .wf files")
need("extension/" + manifest["main"].removeprefix("./") in names, "lacks the client " + manifest["main"])
need("extension/node_modules/vscode-languageclient/package.json" in names, "lacks vscode-languageclient")
stray = sorted(n for n in names if n.startswith(("extension/src/", "extension/test/", "extension/tests/", "extension/scripts/")))
need(not stray, f"holds development files: {stray[:5]}")
print(f"{len(names)} files; grammar, language and client in place")
PY

echo "-- the packaged client starts wf lsp (stubbed VS Code API)"
WF_EXTENSION="$unpacked/extension" node --test test/
